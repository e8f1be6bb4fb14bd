import { revokeApiToken } from "@/lib/api-tokens/tokens";
import { apiRoute } from "@/lib/api/route";

// DELETE /api/v1/tokens/<id>: revokes one of your tokens (this one too); it stops working at once.
export const DELETE = apiRoute<{ id: string }>("tokens:write", async ({ actor, params }) => {
  await revokeApiToken(actor, { tokenId: params.id });
  return new Response(null, { status: 204 });
});
