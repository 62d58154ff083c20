/** IPC channel names: a command's channel is its name; events travel on their own prefix so the two never collide. */
import type { EventName } from './schema.js';

export function eventChannel(event: EventName): string {
  return `outpost-event:${event}`;
}
