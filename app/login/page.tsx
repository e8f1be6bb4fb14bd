import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { Boxes } from "lucide-react";
import { getCurrentUser } from "@/lib/auth/current-user";
import { DEMO_PROVIDER_ID, oidcProviders } from "@/lib/auth/settings";
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from "@/components/ui/card";
import { SignInButton } from "./sign-in-button";
import { signInErrorMessage } from "./errors";

export const metadata: Metadata = { title: "Sign in" };

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const { error, callbackUrl } = await searchParams;
  if (await getCurrentUser()) redirect("/");
  const providers = oidcProviders().map(({ id, name }) => ({ id, name }));
  const errorCode = typeof error === "string" ? error : undefined;

  return (
    <main id="main" className="flex min-h-dvh items-center justify-center px-4">
      <Card className="w-full max-w-sm">
        <CardHeader className="items-center text-center">
          <Boxes aria-hidden="true" className="size-8 text-primary" />
          <CardTitle>
            <h1 className="text-xl">Sign in to Podspace</h1>
          </CardTitle>
          <CardDescription>Use your company account.</CardDescription>
        </CardHeader>
        <CardContent className="flex flex-col gap-3">
          {errorCode ? (
            <p role="alert" className="rounded-md border border-destructive/40 bg-destructive/10 px-3 py-2 text-sm text-destructive">
              {signInErrorMessage(errorCode)}
            </p>
          ) : null}
          {providers.map((provider) => (
            <SignInButton
              key={provider.id}
              provider={provider.id}
              name={provider.name}
              callbackUrl={typeof callbackUrl === "string" ? callbackUrl : "/"}
              primary={provider.id !== DEMO_PROVIDER_ID}
            />
          ))}
          {providers.some((p) => p.id === DEMO_PROVIDER_ID) ? (
            <p className="text-center text-xs text-muted-foreground">
              The demo identity provider is built in for trying Podspace out. Configure your company&apos;s
              identity provider with PODSPACE_OIDC_PROVIDERS.
            </p>
          ) : null}
        </CardContent>
      </Card>
    </main>
  );
}
