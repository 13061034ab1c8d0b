#include "tool_help.hpp"

namespace bgclient {

const char *usage_line()
{
    return "usage: bgclient [options] <url> <file_path> <remote_path>";
}

const char *help_text()
{
    return
"usage: bgclient [options] <url> <file_path> <remote_path>\n"
"\n"
"Uploads <file_path> to <url>/<remote_path> with one HTTP PUT to a bigupload\n"
"server, streaming it (any size), and checks the server's sha256 against its\n"
"own.  <file_path> - reads standard input (sent chunked when it is a pipe).\n"
"<remote_path> ending in / gets the file's name appended.\n"
"\n"
"  e.g. bgclient http://127.0.0.1:8083/upload ./big.iso /isos/big.iso\n"
"\n"
"Request:\n"
"  -H, --header 'Name: value'  extra request header (repeatable)\n"
"  -u, --user USER:PASSWORD    HTTP basic authentication\n"
"      --oauth2-bearer TOKEN   Authorization: Bearer TOKEN\n"
"  -k, --insecure              do not verify the server's TLS certificate\n"
"      --cacert FILE           verify the server with the CA certificates in FILE\n"
"      --http1.1               use HTTP/1.1 (the default)\n"
"      --http2                 use HTTP/2 (ALPN over https, prior knowledge over http)\n"
"      --limit-rate RATE       send at most RATE bytes/s (k, M, G suffixes: 10M)\n"
"      --connect-timeout SECS  give up connecting after SECS (decimals allowed)\n"
"      --max-time SECS         give up after SECS in all, retries included\n"
"      --retries N             retries after a connection error, 408, 429 or 5xx,\n"
"                              with exponential backoff and jitter, honouring\n"
"                              Retry-After (default 3, 0 to 100)\n"
"      --overwrite             replace an existing file (otherwise the upload is\n"
"                              refused when it exists: If-None-Match: *)\n"
"\n"
"Output:\n"
"      --json                  print the result as one JSON object on stdout\n"
"  -q, --quiet                 print nothing but errors\n"
"      --progress=bar|plain|none\n"
"                              progress on stderr: bar (default on a terminal),\n"
"                              plain (a line every 5 s, for logs), none (default\n"
"                              when stderr is not a terminal)\n"
"  -v, --verbose               show the HTTP exchange on stderr\n"
"      --version               print the version and exit\n"
"  -h, --help                  print this help and exit\n"
"\n"
"Options take their value as '--opt VALUE' or '--opt=VALUE'; '--' ends them.\n"
"\n"
"Exit codes:\n"
"    0  uploaded, and the server's sha256 matches\n"
"    1  internal error\n"
"    2  usage error (bad option or argument)\n"
"    3  the local file cannot be read (or shrank while being read)\n"
"    4  network or transport failure (DNS, connect, TLS, timeout, reset)\n"
"    5  the server refused the upload (4xx: exists, too large, forbidden, ...)\n"
"    6  server error (5xx, e.g. 507 disk full)\n"
"    7  integrity check failed: the server's sha256 or size differs, or the\n"
"       server reported none\n"
"  130  interrupted (Ctrl-C or SIGTERM)\n";
}

}  // namespace bgclient
