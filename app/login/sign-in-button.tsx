"use client";

import * as React from "react";
import { KeyRound } from "lucide-react";
import { Button } from "@/components/ui/button";
import { signInWithProvider } from "./actions";

/**
 * Starts sign-in with one identity provider. The server action answers with
 * the provider's authorization URL and the browser goes there with a full
 * page load: a server-side redirect would make Next's router try to render the
 * provider's page (same-origin for the bundled one) as a React route.
 */
export function SignInButton({ provider, name, callbackUrl, primary }: { provider: string; name: string; callbackUrl: string; primary: boolean }) {
  const [pending, startTransition] = React.useTransition();
  const start = () =>
    startTransition(async () => {
      window.location.assign(await signInWithProvider(provider, callbackUrl));
    });
  return (
    <Button type="button" onClick={start} disabled={pending} variant={primary ? "default" : "outline"} className="w-full">
      <KeyRound aria-hidden="true" />
      Sign in with {name}
    </Button>
  );
}
