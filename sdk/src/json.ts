// JSON-serialisable values: what may cross from a plugin to the appliance (an engagement, a log binding), so
// that it survives the IPC channel of an isolated plugin and the persisted mitigation state unchanged.

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };
