# Independent, bit-at-a-time CRCs for the tests (reflected, init and xorout
# all ones): nothing shared with the module's ISA-L code they check.
package Test::BigUpload::Crc;
use strict;
use warnings;
no warnings 'portable';    # 64-bit CRC constants
use Exporter 'import';
our @EXPORT = qw(crc64nvme_hex crc32c_hex);

sub crc_reflected {
    my ($poly, $bits, $data) = @_;
    my $mask = $bits == 64 ? 0xffffffffffffffff : 0xffffffff;
    my $crc = $mask;
    for my $byte (unpack 'C*', $data) {
        $crc ^= $byte;
        for (1 .. 8) {
            $crc = ($crc & 1) ? (($crc >> 1) ^ $poly) : ($crc >> 1);
        }
    }
    return ($crc ^ $mask) & $mask;
}

sub crc64nvme_hex { sprintf '%016x', crc_reflected(0x9a6c9329ac4bc9b5, 64, $_[0]) }
sub crc32c_hex    { sprintf '%08x', crc_reflected(0x82f63b78, 32, $_[0]) }

1;
