"use server";

import { z } from "zod";
import { signIn } from "@/lib/auth/auth";
import { oidcProviders } from "@/lib/auth/settings";

const signInInput = z.object({
  provider: z.string(),
  // Only same-site paths: an absolute URL here would be an open redirect.
  callbackUrl: z
    .string()
    .regex(/^\/(?!\/)/)
    .catch("/"),
});

export async function signInWithProvider(formData: FormData): Promise<void> {
  const { provider, callbackUrl } = signInInput.parse({
    provider: formData.get("provider"),
    callbackUrl: formData.get("callbackUrl") ?? "/",
  });
  if (!oidcProviders().some((p) => p.id === provider)) throw new Error("Unknown identity provider");
  await signIn(provider, { redirectTo: callbackUrl });
}
