;;; flakelens-eglot.el --- use flakelens with Eglot  -*- lexical-binding: t; -*-
;; Emacs 28 + Eglot 1.9 (Debian: emacs-nox elpa-eglot) or Emacs 29+ (Eglot
;; built in). With or without nix-mode. Load it from your init file:
;;   (load "/path/to/flakelens/editors/emacs/flakelens-eglot.el")
;; Eglot then starts `flakelens lsp' in every Nix buffer.

(require 'eglot)
(require 'project)

(defvar flakelens-eglot-command '("flakelens" "lsp")
  "The server command: `flakelens' must be on `exec-path' (or give a full path).")

(unless (fboundp 'nix-mode)
  ;; No nix-mode installed (Debian 12 has none): a minimal major mode, so
  ;; Eglot has one to attach to and sends languageId "nix".
  (define-derived-mode nix-mode prog-mode "Nix"
    "Minimal mode for Nix files, defined by flakelens-eglot.el."
    (setq-local comment-start "# "))
  (add-to-list 'auto-mode-alist '("\\.nix\\'" . nix-mode)))

(defun flakelens-eglot-project (dir)
  "The flake DIR belongs to: the nearest directory upward holding flake.nix.
Eglot gives the server the project's root; without this it would be the
enclosing VC repository (wrong for a flake in a subdirectory) or, outside
one, the file's own directory."
  (let ((root (locate-dominating-file dir "flake.nix")))
    (and root (cons 'transient (expand-file-name root)))))

(defun flakelens-eglot-setup ()
  "Use the flake as this buffer's project, then start Eglot."
  (add-hook 'project-find-functions #'flakelens-eglot-project nil t)
  (eglot-ensure))

(add-to-list 'eglot-server-programs
             `(nix-mode . ,(lambda (&rest _) flakelens-eglot-command)))
(add-hook 'nix-mode-hook #'flakelens-eglot-setup)

(provide 'flakelens-eglot)
;;; flakelens-eglot.el ends here
