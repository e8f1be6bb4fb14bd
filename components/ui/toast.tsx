"use client";

import * as React from "react";
import { cva } from "class-variance-authority";
import { X } from "lucide-react";

const TOAST_DURATION_MS = 5000;
const MAX_TOASTS = 3;

type ToastVariant = "default" | "success" | "destructive";

type ToastOptions = {
  title: string;
  description?: string;
  variant?: ToastVariant;
};

type ToastData = ToastOptions & { id: number };

// A module-level store so toast() can be called from any client code without a provider.
let toasts: readonly ToastData[] = [];
let nextId = 0;
const listeners = new Set<() => void>();

function emit() {
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

const getSnapshot = () => toasts;
const emptySnapshot: readonly ToastData[] = [];
const getServerSnapshot = () => emptySnapshot;

function toast(options: ToastOptions): number {
  const id = ++nextId;
  toasts = [...toasts, { ...options, id }].slice(-MAX_TOASTS);
  emit();
  return id;
}

function dismissToast(id: number) {
  toasts = toasts.filter((t) => t.id !== id);
  emit();
}

const toastVariants = cva(
  "pointer-events-auto relative flex w-full items-start gap-3 rounded-lg border bg-popover p-4 pr-10 text-popover-foreground shadow-lg",
  {
    variants: {
      variant: {
        default: "",
        success: "border-l-4 border-l-success",
        destructive: "border-l-4 border-l-destructive",
      },
    },
    defaultVariants: {
      variant: "default",
    },
  },
);

function ToastItem({ toast: { id, title, description, variant } }: { toast: ToastData }) {
  // Hovering or focusing a toast holds it open so it can be read or dismissed at the user's pace.
  const [paused, setPaused] = React.useState(false);

  React.useEffect(() => {
    if (paused) return;
    const timer = setTimeout(() => dismissToast(id), TOAST_DURATION_MS);
    return () => clearTimeout(timer);
  }, [id, paused]);

  return (
    <li
      data-slot="toast"
      data-variant={variant ?? "default"}
      className={toastVariants({ variant })}
      onMouseEnter={() => setPaused(true)}
      onMouseLeave={() => setPaused(false)}
      onFocus={() => setPaused(true)}
      onBlur={() => setPaused(false)}
    >
      <div className="flex min-w-0 flex-col gap-1">
        <p className="text-sm font-semibold">{title}</p>
        {description ? <p className="text-sm text-muted-foreground">{description}</p> : null}
      </div>
      <button
        type="button"
        aria-label="Dismiss notification"
        onClick={() => dismissToast(id)}
        className="absolute top-3 right-3 rounded-sm p-0.5 text-muted-foreground transition-colors outline-none hover:text-foreground focus-visible:ring-2 focus-visible:ring-ring"
      >
        <X aria-hidden="true" className="size-4" />
      </button>
    </li>
  );
}

function Toaster() {
  const items = React.useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);

  // The live region is always rendered so screen readers register it before the first toast.
  return (
    <ol
      data-slot="toaster"
      aria-live="polite"
      aria-label="Notifications"
      className="pointer-events-none fixed right-0 bottom-0 z-[100] flex w-full flex-col gap-2 p-4 sm:max-w-sm"
    >
      {items.map((item) => (
        <ToastItem key={item.id} toast={item} />
      ))}
    </ol>
  );
}

export { dismissToast, toast, Toaster, type ToastOptions, type ToastVariant };
