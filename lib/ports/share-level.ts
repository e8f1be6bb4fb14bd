import { z } from "zod";
import type { PortShare } from "@/lib/generated/prisma/enums";

// Who may open a workspace's port through its preview URL, from the
// narrowest to the widest: its owner (the default), the members of its
// team, anyone signed in to Podspace, anyone at all. A team's admins cap
// the widest level its ports may have, PODSPACE_PREVIEW_MAX_SHARE caps it
// for every team, and a port's level is the narrowest of the three.

export const SHARE_LEVELS = ["owner", "team", "authenticated", "public"] as const;
export const shareLevel = z.enum(SHARE_LEVELS);
export type ShareLevel = z.infer<typeof shareLevel>;

const rank = (level: ShareLevel) => SHARE_LEVELS.indexOf(level);

/** The narrowest of `levels`. */
export const narrowest = (...levels: ShareLevel[]): ShareLevel => levels.reduce((a, b) => (rank(a) <= rank(b) ? a : b));

/** Whether `level` is within `cap`. */
export const within = (level: ShareLevel, cap: ShareLevel) => rank(level) <= rank(cap);

/** The database's enum, and back. */
export const toPortShare = (level: ShareLevel) => level.toUpperCase() as PortShare;
export const fromPortShare = (share: PortShare) => share.toLowerCase() as ShareLevel;
