/**
 * @module cli/commands/context
 * What every admin-API command gets: the client, the output sink and the --json switch.
 */
import type { AdminClient } from '../admin-client.js';
import type { CliIo } from '../io.js';

export interface AdminCommandContext {
  readonly client: AdminClient;
  readonly io: CliIo;
  /** Print the API's JSON instead of a human table. */
  readonly json: boolean;
}
