// Progress of a consumer group over its input topics, from the committed offsets: what a
// transaction has committed is what counts as processed.
import type { Admin } from 'kafkajs';

export async function committedTotal(admin: Admin, groupId: string, topics: string[]): Promise<number> {
  const res = await admin.fetchOffsets({ groupId, topics });
  let n = 0;
  for (const t of res) for (const p of t.partitions) if (Number(p.offset) > 0) n += Number(p.offset);
  return n;
}
