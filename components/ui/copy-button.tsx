"use client";

import { Copy } from "lucide-react";

import { Button, type ButtonProps } from "@/components/ui/button";
import { toast } from "@/components/ui/toast";

type CopyButtonProps = Omit<ButtonProps, "onClick"> & {
  /** What lands on the clipboard. */
  text: string;
};

/** Copies `text`, and says so; where the clipboard is refused (an insecure origin), the toast shows it to copy by hand. */
function CopyButton({ text, children, variant = "ghost", size = "sm", ...props }: CopyButtonProps) {
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      toast({ title: "Copied", description: text });
    } catch {
      toast({ title: "Couldn't copy", description: text, variant: "destructive" });
    }
  };
  return (
    <Button type="button" variant={variant} size={size} onClick={() => void copy()} {...props}>
      <Copy aria-hidden="true" />
      {children}
    </Button>
  );
}

export { CopyButton };
