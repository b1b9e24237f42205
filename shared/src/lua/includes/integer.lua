-- A whole number as a string of digits. Lua's tostring and `..` print 14 significant digits at
-- most ("1.2345678901235e+15"), and ids reach 16 digits; so every id that is concatenated,
-- compared as a string or stored is written through this.
local function integer(n)
  return string.format('%d', n)
end
