// The `history` configuration section: how long the attack history keeps ended attacks, how often an active
// attack's row is rewritten, and how many points of its rate series it keeps. Part of config/schema.ts; docs/configuration.md's key table is generated from it.
import { Type, type Static } from '@sinclair/typebox';

export const HistorySchema = Type.Object(
  {
    retentionDays: Type.Integer({
      default: 365,
      minimum: 1,
      description: 'Ended attacks are deleted from the attack history this many days after they ended (checked at start and hourly).',
    }),
    maxRows: Type.Integer({
      default: 100000,
      minimum: 100,
      description: 'Most attacks the history keeps; past it the oldest ended attacks are deleted. Active attacks are never deleted.',
    }),
    writeIntervalMs: Type.Integer({
      default: 1000,
      minimum: 100,
      maximum: 60000,
      description: "Most often an active attack's row is rewritten with its latest rates; its start and end are written at once.",
    }),
    seriesMaxPoints: Type.Integer({
      default: 3600,
      minimum: 60,
      maximum: 86400,
      description:
        "Most points of one attack's rate series the history keeps (one per attack.updated, about one a second: the default is an hour). Past it the series is halved (the first and last points stay, and of each pair between them the higher) and later points are taken at the wider spacing, so a long attack keeps an even series over its whole span.",
    }),
  },
  { default: {}, additionalProperties: false },
);

export type HistoryConfig = Static<typeof HistorySchema>;
