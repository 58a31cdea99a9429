import { ApiError } from '../errors';
import type { LeaseRecord, LeaseStore } from '../leaderelection';

/** An in-memory Lease with resourceVersion conflicts, shared by several electors in tests. */
export class MemoryLeaseStore implements LeaseStore {
  lease?: { record: LeaseRecord; resourceVersion: string };
  /** While set, every call fails as if the apiserver were unreachable. */
  down = false;
  private rv = 0;

  async get() {
    this.check();
    return this.lease && { record: { ...this.lease.record }, resourceVersion: this.lease.resourceVersion };
  }

  async create(record: LeaseRecord): Promise<string> {
    this.check();
    if (this.lease) throw new ApiError(409, 'AlreadyExists', 'lease exists');
    this.lease = { record: { ...record }, resourceVersion: String(++this.rv) };
    return this.lease.resourceVersion;
  }

  async update(record: LeaseRecord, resourceVersion: string): Promise<string> {
    this.check();
    if (this.lease?.resourceVersion !== resourceVersion) throw new ApiError(409, 'Conflict', 'stale lease');
    this.lease = { record: { ...record }, resourceVersion: String(++this.rv) };
    return this.lease.resourceVersion;
  }

  private check(): void {
    if (this.down) throw new ApiError(0, 'ECONNREFUSED', 'apiserver down');
  }
}
