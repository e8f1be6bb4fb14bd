import { handleModelsRequest } from "@/lib/ai/gateway";

// GET /api/ai/v1/models: the models the caller's team may ask the AI gateway for, in OpenAI's shape (lib/ai/gateway.ts).
export const GET = (request: Request) => handleModelsRequest(request);
