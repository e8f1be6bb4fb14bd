import { handleGatewayRequest } from "@/lib/ai/gateway";

// POST /api/ai/v1/messages: the AI gateway in Anthropic's Messages shape, streamed or not (lib/ai/gateway.ts).
export const POST = (request: Request) => handleGatewayRequest("anthropic", request);
