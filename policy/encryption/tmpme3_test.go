package encryption

import (
	"bytes"
	"fmt"
	"math/rand"
	"testing"
	"time"
)

func TestTmpMe3(t *testing.T) {
	seeds := syntheticOffice(t)
	r := rand.New(rand.NewSource(1))
	var worst time.Duration
	for i := 0; i < 20000; i++ {
		b := append([]byte(nil), seeds[r.Intn(len(seeds))]...)
		for k := 0; k < 1+r.Intn(4); k++ {
			switch r.Intn(3) {
			case 0:
				b[r.Intn(len(b))] = byte(r.Intn(256))
			case 1:
				b[r.Intn(len(b))] ^= 1 << r.Intn(8)
			case 2:
				p := r.Intn(len(b) - 4)
				copy(b[p:], []byte{0xff, 0xff, 0xff, 0x7f}[:r.Intn(4)+1])
			}
		}
		st := time.Now()
		res := inspectBytes(b, Limits{MaxEntries: 256, MaxBytes: 1 << 20})
		c, err := NewOfficePasswordChecker(bytes.NewReader(b), int64(len(b)), Limits{MaxEntries: 256, MaxBytes: 1 << 20})
		if err == nil {
			if sp, ok := c.v.(interface{ spins() int }); !ok || sp.spins() <= 1000 {
				c.Check("secret123")
			}
		}
		if d := time.Since(st); d > worst {
			worst = d
			fmt.Println(i, d, res.Unscannable)
		}
	}
}
