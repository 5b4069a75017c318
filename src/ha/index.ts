/**
 * @module ha
 * Leadership among siplb nodes: the Redis lease (`LeaderElection`), the role it yields, and the
 * keepalived role file. Knows nothing of SIP; reports through listeners the app wires up.
 */
export { LeaderElection } from './leader-election.js';
export type { RoleChangeListener, LeaseErrorListener } from './leader-election.js';
export { DEFAULT_LEADER_ELECTION_OPTIONS, driftMarginMs } from './options.js';
export type { LeaderElectionOptions } from './options.js';
export { RoleState } from './role.js';
export type { Role, RoleChange, RoleChangeReason, RoleListener } from './role.js';
export { RoleFileWriter, writeRoleFile, roleWeight, DEFAULT_ROLE_WEIGHTS } from './role-file.js';
export type { RoleWeights } from './role-file.js';
export { leaseRedisOptions, reconnectBackoff, assertLeaseSafe } from './redis-options.js';
export type { LeaseRedisTimings } from './redis-options.js';
export { createLeaseStore } from './lease-store.js';
export type { LeaseStore, LeaseStoreOptions, AcquireResult } from './lease-store.js';
export { startHaNode } from './ha-node.js';
export type { HaNode, HaNodeOptions, HaLeaderSource } from './ha-node.js';
export { AdminSync, DEFAULT_ADMIN_SYNC_OPTIONS, isAdminStateName } from './admin-sync.js';
export type { AdminSyncOptions, AdminStateName } from './admin-sync.js';
export { RateLimitedLog } from './rate-limited-log.js';
export { FlowKeyStore } from './flow-keys.js';
export type { FlowKeyStoreOptions, SharedFlowKeys } from './flow-keys.js';
