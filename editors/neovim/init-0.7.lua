-- flakelens for Neovim 0.7–0.10, no plugin needed (nvim-lspconfig is not
-- required). Put this in your init.lua (or `:luafile` it).
-- Server command: $FLAKELENS_CMD (whitespace-split) or `flakelens lsp` on PATH.
local cmd = vim.split(os.getenv('FLAKELENS_CMD') or 'flakelens lsp', '%s+', { trimempty = true })

-- The nearest directory upward holding flake.nix (0.7 has no vim.fs).
local function root_of(path)
  local dir = vim.fn.fnamemodify(path, ':p:h')
  while true do
    if vim.fn.filereadable(dir .. '/flake.nix') == 1 then return dir end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then return vim.fn.fnamemodify(path, ':p:h') end
    dir = parent
  end
end

local clients = {} -- root_dir -> client id: one server per flake
vim.api.nvim_create_autocmd('FileType', {
  pattern = 'nix',
  callback = function(args)
    local root = root_of(vim.api.nvim_buf_get_name(args.buf))
    local id = clients[root]
    if not id or not vim.lsp.get_client_by_id(id) then
      id = vim.lsp.start_client({ name = 'flakelens', cmd = cmd, root_dir = root })
      clients[root] = id
    end
    if id then vim.lsp.buf_attach_client(args.buf, id) end
    local opts = { buffer = args.buf }
    vim.keymap.set('n', 'gd', vim.lsp.buf.definition, opts)
    vim.keymap.set('n', 'K', vim.lsp.buf.hover, opts)
    vim.keymap.set('n', 'gr', vim.lsp.buf.references, opts)
    vim.keymap.set('n', '<leader>ca', vim.lsp.buf.code_action, opts)
    vim.bo[args.buf].omnifunc = 'v:lua.vim.lsp.omnifunc' -- <C-x><C-o> completes options
  end,
})
