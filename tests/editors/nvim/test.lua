-- Headless Neovim end-to-end test of `flakelens lsp` through a shipped user
-- config (editors/neovim), which must attach the server to the .nix buffer
-- this test opens. Runs on Neovim 0.7.2 (Debian 12) and 0.11.4. No plugins.
-- Run by tests/editors/run, e.g.
--   nvim --headless -u editors/neovim/init-0.7.lua -i NONE -n -c 'luafile tests/editors/nvim/test.lua'
-- with `flakelens` on PATH, FL_WS = a copy of the poglets fixture and the
-- FL_* positions of tests/editors/positions.py in the environment.
-- Exit: 0 pass, 1 check failed / error, 3 watchdog.
local uv = vim.uv or vim.loop
local t0 = uv.hrtime()
local function ms() return math.floor((uv.hrtime() - t0) / 1e6) end
local function say(s) io.stderr:write(('[%5dms] %s\n'):format(ms(), s)) end

local ws = assert(os.getenv('FL_WS'), 'FL_WS is not set')
local function env_int(name) return assert(tonumber(os.getenv(name)), name .. ' is not set') end
local STEP_MS = 15000
local islist = vim.islist or vim.tbl_islist

-- Watchdog: libuv (fast) context => only plain Lua io, uv.* and os.exit are allowed here.
local server_pid
local watchdog = uv.new_timer()
watchdog:start(60000, 0, function()
  if server_pid then pcall(uv.kill, server_pid, 'sigkill') end
  io.stderr:write('WATCHDOG: no result after 60 s, exiting 3\n')
  os.exit(3)
end)

local function check(name, cond, detail)
  local text = detail ~= nil and vim.inspect(detail):gsub('%s+', ' '):sub(1, 400) or ''
  say((cond and 'PASS ' or 'FAIL ') .. name .. ' :: ' .. text)
  if not cond then error('check failed: ' .. name, 0) end
end

local function clients_of(bufnr)
  if vim.lsp.get_clients then return vim.lsp.get_clients({ bufnr = bufnr }) end
  return vim.tbl_values(vim.lsp.buf_get_clients(bufnr))
end

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
  say(('exit %d'):format(code))
  if code == 0 then vim.cmd('qall!') else vim.cmd('cquit ' .. code) end
end

local function request(bufnr, client_id, method, params)
  local res, err = vim.lsp.buf_request_sync(bufnr, method, params, STEP_MS)
  check(method .. ' returned', res ~= nil and res[client_id] ~= nil and res[client_id].err == nil,
    err or (res and res[client_id]))
  return res[client_id].result
end

local function position(bufnr, line, col) -- 1-based line, 0-based byte column (ASCII text)
  return { textDocument = vim.lsp.util.make_text_document_params(bufnr),
    position = { line = line - 1, character = col } }
end

local function diagnostics(bufnr)
  return vim.tbl_map(function(d) return { lnum = d.lnum, col = d.col, message = d.message } end,
    vim.diagnostic.get(bufnr))
end

local function run()
  local host_file = ws .. '/' .. os.getenv('FL_HOST')
  local decl_file = ws .. '/' .. os.getenv('FL_DECL_FILE')
  vim.cmd('edit ' .. vim.fn.fnameescape(host_file))
  local bufnr = vim.api.nvim_get_current_buf()
  check('filetype nix detected', vim.bo[bufnr].filetype == 'nix', vim.bo[bufnr].filetype)

  -- 1. the shipped config attaches the server
  local attached = vim.wait(STEP_MS, function() return #clients_of(bufnr) > 0 end, 20)
  check('the config attached a client', attached)
  local client_id = clients_of(bufnr)[1].id
  local c0 = vim.lsp.get_client_by_id(client_id)
  server_pid = c0 and c0.rpc and c0.rpc.pid
  check('initialized', vim.wait(STEP_MS, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return c ~= nil and c.initialized == true
  end, 20), { after_ms = ms() })
  local client = vim.lsp.get_client_by_id(client_id)
  check('client is flakelens, rooted at the flake', client.name == 'flakelens'
    and vim.fn.resolve(client.config.root_dir) == vim.fn.resolve(ws), { client.name, client.config.root_dir })

  -- 2. diagnostics: a type error on the port value appears, then clears
  local line, vcol = env_int('FL_PORT_LINE'), env_int('FL_PORT_VALUE_COL')
  vim.api.nvim_buf_set_text(bufnr, line - 1, vcol, line - 1, vcol + 4, { '"x"' })
  local got = vim.wait(STEP_MS, function()
    local d = diagnostics(bufnr)
    return #d == 1 and d[1].lnum == line - 1 and d[1].col == vcol and d[1].message:find('port', 1, true) ~= nil
  end, 20)
  check('one type error, on the port value', got, diagnostics(bufnr))
  vim.api.nvim_buf_set_text(bufnr, line - 1, vcol, line - 1, vcol + 3, { '8420' })
  check('diagnostic cleared after the fix',
    vim.wait(STEP_MS, function() return #vim.diagnostic.get(bufnr) == 0 end, 20), diagnostics(bufnr))

  -- 3. definition on `enable` in the host: the raw result, then the real jump (gd)
  local el, ec = env_int('FL_ENABLE_LINE'), env_int('FL_ENABLE_COL')
  local dl, dc = env_int('FL_DECL_ENABLE_LINE'), env_int('FL_DECL_ENABLE_COL')
  local loc = request(bufnr, client_id, 'textDocument/definition', position(bufnr, el, ec + 2))
  if islist(loc) then loc = loc[1] end
  check('definition -> the mkEnableOption line', loc ~= nil
    and vim.uri_to_fname(loc.uri or loc.targetUri) == vim.fn.resolve(decl_file)
    and (loc.range or loc.targetSelectionRange).start.line == dl - 1, loc)
  vim.api.nvim_win_set_cursor(0, { el, ec + 2 })
  vim.lsp.buf.definition()
  local jumped = vim.wait(STEP_MS, function() return vim.api.nvim_buf_get_name(0) ~= host_file end, 20)
  local cur = vim.api.nvim_win_get_cursor(0)
  check('vim.lsp.buf.definition() lands on the declaration', jumped
    and vim.fn.resolve(vim.api.nvim_buf_get_name(0)) == vim.fn.resolve(decl_file)
    and cur[1] == dl and cur[2] == dc, { buf = vim.api.nvim_buf_get_name(0), cursor = cur })
  vim.cmd('buffer ' .. bufnr)

  -- 4. hover on the key `port`
  local pc = env_int('FL_PORT_COL')
  local hover = request(bufnr, client_id, 'textDocument/hover', position(bufnr, line, pc + 1))
  local text = hover and hover.contents and (hover.contents.value or vim.inspect(hover.contents)) or ''
  check('hover shows types.port and the default', text:find('types.port', 1, true) ~= nil
    and text:find(os.getenv('FL_PORT_DEFAULT'), 1, true) ~= nil, text)

  -- 5. completion at the start of the key `port` (empty prefix), and what
  --    the omnifunc (<C-x><C-o>) makes of the same items
  local r = request(bufnr, client_id, 'textDocument/completion', position(bufnr, line, pc))
  local items = (r and r.items) or r or {}
  local have = {}
  -- (0.7-0.10: vim.lsp.util's converter; 0.11: vim.lsp.completion's, the one its omnifunc uses)
  local to_complete_items = vim.lsp.util.text_document_completion_list_to_complete_items
    or function(result, prefix) return require('vim.lsp.completion')._lsp_to_complete_items(result, prefix, client_id) end
  for _, i in ipairs(to_complete_items(items, '')) do
    have[i.word] = true
  end
  check('completion words include the poglets options', have.controlPort and have.openFirewall
    and have.logLevel and have.enable, vim.tbl_keys(have))

  -- 6. completion after `services.poglets.` typed on a new line (didChange)
  local hl = vim.fn.search('networking\\.hostName', 'n')
  vim.api.nvim_buf_set_lines(bufnr, hl, hl, false, { '  services.poglets.' })
  r = request(bufnr, client_id, 'textDocument/completion', position(bufnr, hl + 1, #'  services.poglets.'))
  items = (r and r.items) or r or {}
  have = {}
  for _, i in ipairs(items) do have[i.label] = true end
  check('completion after services.poglets. lists the options', have.port and have.controlPort
    and have.extraArgs, vim.tbl_keys(have))
  vim.api.nvim_buf_set_lines(bufnr, hl, hl + 1, false, {})
end

local ok, e = xpcall(run, debug.traceback)
if not ok then say('ERROR ' .. tostring(e)) end
finish(ok and 0 or 1)
