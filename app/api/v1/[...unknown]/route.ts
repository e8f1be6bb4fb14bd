import { ApiError, toErrorResponse } from "@/lib/api/errors";

// Any other path under /api/v1: a JSON error like every other answer of the
// API, not Next.js's HTML 404 page. Nothing is read from the request.

const notFound = async () => toErrorResponse(new ApiError("not_found", "No such API route; /api/v1/openapi.json lists them."));

export { notFound as DELETE, notFound as GET, notFound as HEAD, notFound as PATCH, notFound as POST, notFound as PUT };
