-- A whole number as Redis should store it. Lua's own tostring, and Redis when it turns a Lua
-- number into a command argument, print 15 significant digits at most ("1.2345678901234e+15"),
-- and tweet ids have 16 digits.
local function integer(n)
  return string.format('%d', n)
end
