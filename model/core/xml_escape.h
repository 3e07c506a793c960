// Text for an XML/HTML document (the SVG plots, the attention maps, the embedding map): & < > " escaped, and
// the control characters XML 1.0 forbids (all below 0x20 but tab, newline and return) written as spaces, so
// a token made of odd bytes can never make the document invalid.
#pragma once
#include <string>
#include <string_view>

namespace pluma {

std::string xml_escape(std::string_view s);

}  // namespace pluma
