;;; flakelens-eglot.el --- use flakelens with Eglot  -*- lexical-binding: t; -*-
;; Emacs 28 + Eglot 1.9 (Debian: emacs-nox elpa-eglot; nix-mode for .nix files)
;; or Emacs 29+ (Eglot built in). Load from your init file:
;;   (load "/path/to/flakelens-eglot.el")
;; then M-x eglot in a .nix buffer, or keep the hook below.

(require 'eglot)

(unless (fboundp 'nix-mode)
  ;; No nix-mode installed: a minimal major mode so Eglot has one to attach to.
  (define-derived-mode nix-mode prog-mode "Nix")
  (add-to-list 'auto-mode-alist '("\\.nix\\'" . nix-mode)))

(add-to-list 'eglot-server-programs '(nix-mode . ("flakelens" "lsp")))
(add-hook 'nix-mode-hook #'eglot-ensure)

(provide 'flakelens-eglot)
;;; flakelens-eglot.el ends here
