// PostGraphile v5 as a frontend team would start it: the Amber preset, plus
// the connection-filter plugin for text search (Q4), over the same
// PostgreSQL database ogp-pulse serves. DATABASE_URL and PORT come from the
// harness.
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";
import { PostGraphileConnectionFilterPreset } from "postgraphile-plugin-connection-filter";

/** @type {GraphileConfig.Preset} */
const preset = {
  extends: [PostGraphileAmberPreset, PostGraphileConnectionFilterPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.DATABASE_URL,
      schemas: ["public"],
    }),
  ],
  // v5 offers filters only on indexed columns; searching texts needs them
  // on every column, as a team enabling text search would do.
  disablePlugins: ["PgIndexBehaviorsPlugin"],
  schema: {
    // `some`/`every` filters across relations (Q4 searches translations).
    connectionFilterRelations: true,
  },
  grafserv: {
    port: Number(process.env.PORT ?? 5678),
    host: "127.0.0.1",
  },
};

export default preset;
