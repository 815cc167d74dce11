// Pieces hostile click destinations are made of: schemes, slashes and backslashes, hosts, ports,
// controls, spaces, surrogates, non-ASCII, query and fragment marks. For property tests of the
// click destination rule (core) and of what the handler serves (http).
import fc from 'fast-check'

export const clickDestinationPieces: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom('https://', 'http://', 'HTTPS://', '//', 'https:', 'https:/', 'https:///', 'javascript:', 'ftp://', ' ', ''),
  fc.constantFrom('e.com', 'www.example.com', '例え.jp', 'xn--r8jz45g.jp', '127.0.0.1', '[::1]', 'user:pw@', '@', 'exa mple', ':8080', ':99999', ':'),
  fc.constantFrom('/', '\\', '//', '?', '#', '%', '%5C', '%zz', '%2F', '/a b', '/パス', '😀', '\ud800', '\udc00', '\t', '\r\n', '\u0000', '\u007f', '\u00a0', '"', "'", '<', '|', '^', '`'),
  fc.string({ unit: fc.constantFrom(...'az09-._~/?#[]@!$&()*+,;=:% \\'), maxLength: 6 }),
)
