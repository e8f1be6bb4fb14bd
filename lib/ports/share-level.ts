import { z } from "zod";

// Who may open a workspace's port through its preview URL, from the
// narrowest to the widest: its owner (the default), the members of its
// team, anyone signed in to Podspace, anyone at all.

export const SHARE_LEVELS = ["owner", "team", "authenticated", "public"] as const;
export const shareLevel = z.enum(SHARE_LEVELS);
export type ShareLevel = z.infer<typeof shareLevel>;
