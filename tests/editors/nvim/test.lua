-- Headless Neovim end-to-end test of `flakelens lsp` on a copy of the
-- poglets fixture. No plugins. Written for Neovim 0.7.2 (Debian 12); also
-- runs on newer versions.
--   LSP_CMD="target/debug/flakelens lsp" timeout -k 5 90 nvim --headless -u NONE -i NONE -n -c 'luafile tests/editors/nvim/test.lua'
--   LSP_ATTACH=auto NIX_LSP_CMD=... nvim --headless -u editors/neovim/init-0.7.lua -i NONE -n -c 'luafile ...'
--                      (checks a user config instead: it must attach to *.nix)
-- Env:  LSP_CMD        server command, whitespace-split (default: flakelens lsp)
--       LSP_ATTACH     manual (default) | auto
--       LSP_FIXTURE    fixture directory (default: <repo>/tests/fixtures/poglets)
--       LSP_REPORT     JSON report path (default ./nvim-lsp-report.json)
--       LSP_TIMEOUT_MS hard watchdog for the whole run (default 60000); each step waits <= 1/4 of it
-- Exit: 0 pass, 1 check failed / error, 3 watchdog.
local uv = vim.uv or vim.loop
local t0 = uv.hrtime()
local function ms() return math.floor((uv.hrtime() - t0) / 1e6) end
local function say(s) io.stderr:write(('[%5dms] %s\n'):format(ms(), s)) end

local here = debug.getinfo(1, 'S').source:sub(2):match('(.*)/') or '.'
local repo = vim.fn.fnamemodify(here .. '/../../..', ':p'):gsub('/$', '')
local cmd = vim.split(os.getenv('LSP_CMD') or 'flakelens lsp', '%s+', { trimempty = true })
local attach_mode = os.getenv('LSP_ATTACH') or 'manual'
local fixture = os.getenv('LSP_FIXTURE') or (repo .. '/tests/fixtures/poglets')
local report_path = os.getenv('LSP_REPORT') or 'nvim-lsp-report.json'
local hard_ms = tonumber(os.getenv('LSP_TIMEOUT_MS') or '60000')
local STEP_MS = math.min(15000, math.floor(hard_ms / 4))
local islist = vim.islist or vim.tbl_islist
local v = vim.version()

local report = { nvim = ('%d.%d.%d'):format(v.major, v.minor, v.patch), cmd = cmd, attach = attach_mode,
  checks = {}, ok = false }

-- Watchdog: libuv (fast) context => only plain Lua io, uv.* and os.exit are allowed here.
local server_pid
local watchdog = uv.new_timer()
watchdog:start(hard_ms, 0, function()
  if server_pid then pcall(uv.kill, server_pid, 'sigkill') end
  local f = io.open(report_path, 'w')
  if f then f:write('{"ok":false,"error":"watchdog timeout after ' .. hard_ms .. 'ms"}\n'); f:close() end
  io.stderr:write('WATCHDOG: timeout, exiting 3\n')
  os.exit(3)
end)

local function write_report()
  report.elapsed_ms = ms()
  local f = assert(io.open(report_path, 'w'))
  f:write(vim.fn.json_encode(report), '\n'); f:close()
end

local function check(name, cond, detail)
  table.insert(report.checks, { name = name, ok = cond and true or false, detail = detail })
  say((cond and 'PASS ' or 'FAIL ') .. name .. (detail ~= nil and (' :: ' .. vim.inspect(detail):gsub('%s+', ' ')) or ''))
  if not cond then error('check failed: ' .. name, 0) end
end

local function clients_of(bufnr)
  if vim.lsp.get_clients then return vim.lsp.get_clients({ bufnr = bufnr }) end
  return vim.tbl_values(vim.lsp.buf_get_clients(bufnr))
end

local ws
local function finish(code)
  watchdog:stop()
  local ids = {}
  for _, c in ipairs(vim.lsp.get_clients and vim.lsp.get_clients() or vim.lsp.get_active_clients()) do
    table.insert(ids, c.id)
  end
  if #ids > 0 then
    vim.lsp.stop_client(ids) -- polite shutdown/exit
    vim.wait(3000, function()
      for _, id in ipairs(ids) do if vim.lsp.get_client_by_id(id) then return false end end
      return true
    end, 20)
  end
  write_report()
  if ws and code == 0 then vim.fn.delete(ws, 'rf') end
  say(('exit %d (%s)'):format(code, report_path))
  if code == 0 then vim.cmd('qall!') else vim.cmd('cquit ' .. code) end
end

local function find_line(bufnr, pattern)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local col = line:find(pattern)
    if col then return i, col - 1 end -- 1-based line, 0-based byte column
  end
  error('pattern not found: ' .. pattern)
end

local function request(bufnr, client_id, method, params)
  local res, err = vim.lsp.buf_request_sync(bufnr, method, params, STEP_MS)
  check(method .. ' returned', res ~= nil and res[client_id] ~= nil and res[client_id].err == nil,
    err or (res and res[client_id]))
  return res[client_id].result
end

local function run()
  -- 1. a private copy of the fixture
  ws = vim.fn.tempname()
  vim.fn.mkdir(ws, 'p')
  vim.fn.system({ 'cp', '-R', fixture .. '/.', ws })
  check('fixture copied', vim.v.shell_error == 0 and vim.fn.filereadable(ws .. '/flake.nix') == 1, ws)
  report.workspace = ws

  local host_file = ws .. '/hosts/neptune/configuration.nix'
  vim.cmd('edit ' .. vim.fn.fnameescape(host_file))
  local bufnr = vim.api.nvim_get_current_buf()

  -- 2. start + attach
  local client_id
  if attach_mode == 'manual' then
    vim.bo[bufnr].filetype = 'nix' -- -u NONE => no ft detection; didOpen's languageId = &filetype
    local config = {
      name = 'flakelens',
      cmd = cmd,
      root_dir = ws,
      capabilities = vim.lsp.protocol.make_client_capabilities(),
      on_exit = function(code, signal) report.server_exit = { code = code, signal = signal } end,
    }
    if vim.lsp.start then
      client_id = vim.lsp.start(config, { bufnr = bufnr })
    else
      client_id = vim.lsp.start_client(config)
      if client_id then vim.lsp.buf_attach_client(bufnr, client_id) end
    end
    check('client started', client_id ~= nil, client_id)
  else
    if vim.bo[bufnr].filetype ~= 'nix' then vim.bo[bufnr].filetype = 'nix' end
    local attached = vim.wait(STEP_MS, function() return #clients_of(bufnr) > 0 end, 20)
    check('user config attached a client', attached)
    client_id = clients_of(bufnr)[1].id
  end
  local c0 = vim.lsp.get_client_by_id(client_id)
  server_pid = c0 and c0.rpc and c0.rpc.pid
  report.server_pid = server_pid

  local ok_init = vim.wait(STEP_MS, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return c ~= nil and c.initialized == true
  end, 20)
  check('initialized', ok_init, { after_ms = ms() })
  local client = vim.lsp.get_client_by_id(client_id)
  local enc = client.offset_encoding or 'utf-16'
  report.offset_encoding = enc

  -- 3. definition: `enable` in the host -> the mkEnableOption line of the module
  local line, col = find_line(bufnr, 'enable = true')
  vim.api.nvim_win_set_cursor(0, { line, col + 2 })
  local loc = request(bufnr, client_id, 'textDocument/definition', vim.lsp.util.make_position_params(0, enc))
  if islist(loc) then loc = loc[1] end
  report.definition = loc
  check('definition -> poglets.nix line 10 (mkEnableOption)', loc ~= nil
    and (loc.uri or loc.targetUri):match('/hosts/modules/servers/poglets%.nix$') ~= nil
    and (loc.range or loc.targetSelectionRange).start.line == 9, loc)

  -- the user path (gd): really jumps
  vim.lsp.buf.definition()
  local jumped = vim.wait(STEP_MS, function()
    return vim.api.nvim_buf_get_name(0):match('/poglets%.nix$') ~= nil
  end, 20)
  local cur = vim.api.nvim_win_get_cursor(0)
  check('vim.lsp.buf.definition() opened poglets.nix at line 10', jumped and cur[1] == 10,
    { buf = vim.api.nvim_buf_get_name(0), cursor = cur })
  vim.cmd('buffer ' .. bufnr)

  -- 4. hover on `port`
  line, col = find_line(bufnr, 'port = 8420')
  vim.api.nvim_win_set_cursor(0, { line, col + 1 })
  local hover = request(bufnr, client_id, 'textDocument/hover', vim.lsp.util.make_position_params(0, enc))
  local text = hover and hover.contents and (hover.contents.value or vim.inspect(hover.contents)) or ''
  check('hover shows types.port and default 8000', text:find('types.port', 1, true) ~= nil
    and text:find('8000', 1, true) ~= nil, text)

  -- 5. completion after `services.poglets.` typed on a new line (didChange, incremental)
  line = find_line(bufnr, 'networking.hostName')
  vim.api.nvim_buf_set_lines(bufnr, line, line, false, { '  services.poglets.' })
  -- (in normal mode the cursor cannot stand after the last character, as
  -- it does while typing: give the position explicitly)
  local r = request(bufnr, client_id, 'textDocument/completion', {
    textDocument = vim.lsp.util.make_text_document_params(bufnr),
    position = { line = line, character = #'  services.poglets.' },
  })
  local items = (r and r.items) or r or {}
  local labels = vim.tbl_map(function(i) return i.label end, items)
  table.sort(labels)
  report.completion = labels
  local have = {}
  for _, l in ipairs(labels) do have[l] = true end
  check('completion lists the poglets options', have.enable and have.port and have.controlPort
    and have.openFirewall and have.logLevel, labels)
  vim.api.nvim_buf_set_lines(bufnr, line, line + 1, false, {})

  -- 6. diagnostics: a type error appears, then clears
  line, col = find_line(bufnr, '8420')
  vim.api.nvim_buf_set_text(bufnr, line - 1, col, line - 1, col + 4, { '"x"' })
  local got = vim.wait(STEP_MS, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.message:find('expected a port', 1, true) then return true end
    end
    return false
  end, 20)
  local diags = vim.tbl_map(function(d)
    return { lnum = d.lnum, col = d.col, message = d.message, severity = d.severity }
  end, vim.diagnostic.get(bufnr))
  report.diagnostics = diags
  check('type-mismatch diagnostic published', got and diags[1].lnum == line - 1 and diags[1].col == col, diags)
  vim.api.nvim_buf_set_text(bufnr, line - 1, col, line - 1, col + 3, { '8420' })
  local cleared = vim.wait(STEP_MS, function() return #vim.diagnostic.get(bufnr) == 0 end, 20)
  check('diagnostic cleared after the fix', cleared, vim.diagnostic.get(bufnr))

  report.ok = true
end

local ok, e = xpcall(run, debug.traceback)
if not ok then report.error = tostring(e); say('ERROR ' .. tostring(e)) end
finish(ok and 0 or 1)
