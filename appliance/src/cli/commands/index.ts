// Every `breakwater` sub-command, in the order `breakwater help` lists them.
import type { Command } from '../command.js';
import { agentFingerprint, agentRun, agentTokenCreate, agentTokenList, agentTokenRevoke } from './agent.js';
import { attacksList, attacksPcap, attacksShow } from './attacks.js';
import { audit } from './audit.js';
import { backupCreate, backupRestore, backupVerify } from './backup.js';
import { configCheck } from './config-check.js';
import { demo } from './demo.js';
import { mitigationsApprove, mitigationsList, mitigationsResume, mitigationsStopAll } from './mitigations.js';
import { notifyTest } from './notify-test.js';
import { pluginsCheck } from './plugins-check.js';
import { pluginsList } from './plugins-list.js';
import { replay } from './replay.js';
import { sflowDecode } from './sflow-decode.js';
import { start } from './start.js';

export const commands: readonly Command[] = [start, configCheck, sflowDecode, replay, pluginsList, pluginsCheck, mitigationsList, mitigationsApprove, mitigationsStopAll, mitigationsResume, attacksList, attacksShow, attacksPcap, audit, notifyTest, backupCreate, backupVerify, backupRestore, agentRun, agentTokenCreate, agentTokenList, agentTokenRevoke, agentFingerprint, demo];
