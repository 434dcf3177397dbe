# cmake -DIN=<file> -DOUT=<file.cc> -DSYMBOL=<name> -P embed.cmake: a C++ source holding the bytes
# of IN as accord::gateway::<SYMBOL>() (a std::string_view), so the binary carries its own copy.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" length)
math(EXPR size "${length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUT}" "// Generated from ${IN} by embed.cmake.\n#include <string_view>\n"
  "namespace accord::gateway {\nnamespace {\nconst char kBytes[] = {${bytes} 0};\n}\n"
  "std::string_view ${SYMBOL}() { return std::string_view(kBytes, ${size}); }\n}\n")
