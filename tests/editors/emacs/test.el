;;; test.el --- headless Emacs + Eglot end-to-end test of `flakelens lsp'  -*- lexical-binding: t -*-
;; Loads the shipped editors/emacs/flakelens-eglot.el and opens a host file
;; of the poglets fixture as a user would. Run by tests/editors/run:
;;   emacs --batch -Q -l tests/editors/emacs/test.el
;; with `flakelens' on PATH, FL_WS = a copy of the fixture and the FL_*
;; positions of tests/editors/positions.py in the environment.
;; Exit: 0 pass, 1 a check failed, 3 watchdog.
(require 'package)
;; -Q skips Debian's site-start, which is what puts elpa-eglot on the
;; load-path for a user: do the same here.
(when (file-directory-p "/usr/share/emacs/site-lisp/elpa")
  (add-to-list 'package-directory-list "/usr/share/emacs/site-lisp/elpa"))
(package-initialize)
(require 'cl-lib)

(defvar fl-here (file-name-directory (or load-file-name buffer-file-name)))
(defvar fl-ws (file-name-as-directory (or (getenv "FL_WS") (error "FL_WS is not set"))))
(defvar fl-t0 (float-time))
(defun fl-env (name) (or (getenv name) (error "%s is not set" name)))
(defun fl-int (name) (string-to-number (fl-env name)))
(defun fl-say (fmt &rest args)
  (princ (format "[%5dms] %s\n" (round (* 1000 (- (float-time) fl-t0))) (apply #'format fmt args))
         #'external-debugging-output))
(defun fl-check (name ok &optional detail)
  (fl-say "%s %s :: %s" (if ok "PASS" "FAIL") name
          (truncate-string-to-width (replace-regexp-in-string "\n" " " (format "%S" detail)) 400))
  (unless ok (error "check failed: %s" name)))
(defun fl-wait (pred &optional secs)
  "Run timers and read process output until PRED is non-nil or SECS (15) pass."
  (let ((deadline (+ (float-time) (or secs 15))) v)
    (while (and (not (setq v (funcall pred))) (< (float-time) deadline))
      (accept-process-output nil 0.05))
    v))
(defun fl-idle ()
  "What Eglot does once Emacs is idle after an edit (its idle timer does not
run in batch mode): send the buffered didChange."
  (eglot--signal-textDocument/didChange))
(defun fl-goto (line col)
  "Move to 1-based LINE, 0-based COL."
  (goto-char (point-min)) (forward-line (1- line)) (forward-char col))

(run-at-time 60 nil (lambda () (fl-say "WATCHDOG: no result after 60 s") (kill-emacs 3)))

(load (expand-file-name "../../../editors/emacs/flakelens-eglot.el" fl-here) nil t)
(setq eglot-autoreconnect nil)           ; never respawn a server the test ends

(defun fl-diagnostics ()
  (flymake-start)
  (mapcar (lambda (d) (with-current-buffer (flymake-diagnostic-buffer d)
                        (save-excursion
                          (goto-char (flymake-diagnostic-beg d))
                          (list (line-number-at-pos) (current-column) (flymake-diagnostic-text d)))))
          (flymake-diagnostics)))

(defun fl-run ()
  (let ((host (expand-file-name (fl-env "FL_HOST") fl-ws))
        (decl (expand-file-name (fl-env "FL_DECL_FILE") fl-ws))
        (line (fl-int "FL_PORT_LINE")))
    (find-file host)
    (fl-check "major mode nix-mode" (eq major-mode 'nix-mode) major-mode)
    ;; eglot-ensure connects after the command that visited the file ends
    (run-hooks 'post-command-hook)
    (let ((server (fl-wait (lambda () (and (bound-and-true-p eglot--managed-mode) (eglot-current-server))))))
      (fl-check "eglot manages the buffer" server (and server (eglot--server-info server)))
      (fl-check "project root is the flake"
                (equal (file-truename (project-root (eglot--project server))) (file-truename fl-ws))
                (project-root (eglot--project server)))

      ;; 1. diagnostics: a type error on the port value appears (Flymake), then clears
      (let ((vcol (fl-int "FL_PORT_VALUE_COL")))
        (fl-goto line vcol)
        (delete-char 4) (insert "\"x\"") (fl-idle)
        (fl-check "one type error, on the port value"
                  (fl-wait (lambda () (let ((d (fl-diagnostics)))
                                        (and (= (length d) 1) (equal (butlast (car d)) (list line vcol))
                                             (string-match-p "port" (nth 2 (car d)))))))
                  (fl-diagnostics))
        (fl-goto line vcol)
        (delete-char 3) (insert "8420") (fl-idle)
        (fl-check "diagnostic cleared after the fix" (fl-wait (lambda () (null (fl-diagnostics))))
                  (fl-diagnostics)))

      ;; 2. definition of `enable': the xref backend's answer, then M-. really jumps
      (fl-goto (fl-int "FL_ENABLE_LINE") (+ 2 (fl-int "FL_ENABLE_COL")))
      (let* ((defs (xref-backend-definitions 'eglot (xref-backend-identifier-at-point 'eglot)))
             (loc (and defs (xref-item-location (car defs)))))
        (fl-check "definition -> the mkEnableOption line"
                  (and loc (equal (file-truename (xref-location-group loc)) (file-truename decl))
                       (= (xref-location-line loc) (fl-int "FL_DECL_ENABLE_LINE")))
                  (and loc (list (xref-location-group loc) (xref-location-line loc)))))
      (xref-find-definitions (xref-backend-identifier-at-point 'eglot))
      (fl-check "M-. lands on the declaration"
                (and (equal (file-truename buffer-file-name) (file-truename decl))
                     (= (line-number-at-pos) (fl-int "FL_DECL_ENABLE_LINE"))
                     (= (current-column) (fl-int "FL_DECL_ENABLE_COL")))
                (list buffer-file-name (line-number-at-pos) (current-column)))
      (switch-to-buffer (find-buffer-visiting host))

      ;; 3. hover on the key `port', over Eglot's connection
      (fl-goto line (1+ (fl-int "FL_PORT_COL")))
      (let* ((hover (jsonrpc-request server :textDocument/hover (eglot--TextDocumentPositionParams)))
             (text (format "%S" (plist-get hover :contents))))
        (fl-check "hover shows types.port and the default"
                  (and (string-match-p "types\\.port" text) (string-match-p (fl-env "FL_PORT_DEFAULT") text))
                  text))

      ;; 4. completion at the start of the key `port' (empty prefix), through
      ;;    Eglot's completion-at-point function
      (fl-goto line (fl-int "FL_PORT_COL"))
      (let* ((capf (eglot-completion-at-point))
             (labels (and capf (mapcar #'substring-no-properties (all-completions "" (nth 2 capf))))))
        (fl-check "completion includes the poglets options"
                  (cl-subsetp '("controlPort" "openFirewall" "logLevel" "enable") labels :test #'equal)
                  labels))
      (set-buffer-modified-p nil)
      (eglot-shutdown server nil 3))))

(condition-case err
    (progn (fl-run) (fl-say "exit 0") (kill-emacs 0))
  ;; No delete-process here: jsonrpc's sentinel would then signal "Server
  ;; died", and an error in a sentinel makes batch Emacs exit 255.
  (error (fl-say "ERROR %s" (error-message-string err)) (kill-emacs 1)))
