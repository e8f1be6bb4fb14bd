import { z } from "zod";
import { idSchema } from "./fields";

// The team settings form that sizes a warm pool (lib/workspaces/warm-pool).

/** More than this many idle workspaces per template is a fleet, not a pool. */
export const MAX_WARM_POOL_SIZE = 100;

const notASize = { error: `Enter a whole number from 0 to ${MAX_WARM_POOL_SIZE}.` };

export const warmPoolSizeSchema = z.object({
  teamId: idSchema,
  templateId: idSchema,
  size: z.coerce.number(notASize).int(notASize).min(0, notASize).max(MAX_WARM_POOL_SIZE, notASize),
});

export type WarmPoolSizeInput = z.infer<typeof warmPoolSizeSchema>;
