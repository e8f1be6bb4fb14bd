import { handleGatewayRequest } from "@/lib/ai/gateway";

// POST /api/ai/v1/chat/completions: the AI gateway in OpenAI's shape, streamed or not (lib/ai/gateway.ts).
export const POST = (request: Request) => handleGatewayRequest("openai", request);
