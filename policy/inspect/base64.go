package inspect

import (
	"encoding/binary"
	"sync"
)

// base64Pairs maps two characters of the standard base64 alphabet (first
// character in the high byte) to their 12 bits; a pair with any other
// character maps to 0xFFFF. 128 KB, made on first use.
var base64Pairs = sync.OnceValue(func() *[1 << 16]uint16 {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	var val [256]uint16
	for i := range val {
		val[i] = 0xFFFF
	}
	for i := 0; i < len(alphabet); i++ {
		val[alphabet[i]] = uint16(i)
	}
	t := new([1 << 16]uint16)
	for a := range 256 {
		for b := range 256 {
			if val[a] == 0xFFFF || val[b] == 0xFFFF {
				t[a<<8|b] = 0xFFFF
			} else {
				t[a<<8|b] = val[a]<<6 | val[b]
			}
		}
	}
	return t
})

// decodeBase64Groups decodes src, whole groups of four characters of the
// standard alphabet without padding, line breaks or spaces (len(src) a
// multiple of 4), into dst, which has room for len(src)/4*3 + 8 bytes. ok is
// false when src has any other character; dst then holds garbage. For such
// input it gives what base64.RawStdEncoding.Decode gives, about twice as
// fast: one table look-up per two characters instead of one per character
// (TestBase64GroupsMatchStd, FuzzBase64Groups).
func decodeBase64Groups(dst, src []byte) (n int, ok bool) {
	t := base64Pairs()
	for len(src) >= 8 && len(dst)-n >= 8 {
		a := t[uint16(src[0])<<8|uint16(src[1])]
		b := t[uint16(src[2])<<8|uint16(src[3])]
		c := t[uint16(src[4])<<8|uint16(src[5])]
		d := t[uint16(src[6])<<8|uint16(src[7])]
		if (a|b|c|d)&0xF000 != 0 {
			return n, false
		}
		binary.BigEndian.PutUint64(dst[n:], uint64(a)<<52|uint64(b)<<40|uint64(c)<<28|uint64(d)<<16)
		n += 6
		src = src[8:]
	}
	for len(src) >= 4 {
		a := t[uint16(src[0])<<8|uint16(src[1])]
		b := t[uint16(src[2])<<8|uint16(src[3])]
		if (a|b)&0xF000 != 0 {
			return n, false
		}
		v := uint32(a)<<12 | uint32(b)
		dst[n], dst[n+1], dst[n+2] = byte(v>>16), byte(v>>8), byte(v)
		n += 3
		src = src[4:]
	}
	return n, len(src) == 0
}
