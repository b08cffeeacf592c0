package encryption

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"unicode/utf16"
)

// The helpers below write compound files from [MS-CFB] (version 3,
// 512-byte sectors), to build what no tool here writes: RC4 CryptoAPI and
// XOR legacy documents, an encrypted .ppt, odd EncryptionInfo versions,
// and broken containers. Streams shorter than 4096 bytes go to the mini
// stream, as the specification requires; the root's children form a
// right-leaning chain in [MS-CFB] name order (a search tree, not a balanced
// red-black one: readers, ours included, do not check the balance).

type cfbSpec struct {
	name    string
	data    []byte
	storage bool
}

func cfbStreamOf(name string, data []byte) cfbSpec { return cfbSpec{name: name, data: data} }

// cfbLess is the [MS-CFB] 2.6.4 order: shorter names first, then by
// upper-cased code units.
func cfbLess(a, b string) bool {
	ua, ub := utf16.Encode([]rune(strings.ToUpper(a))), utf16.Encode([]rune(strings.ToUpper(b)))
	if len(ua) != len(ub) {
		return len(ua) < len(ub)
	}
	for i := range ua {
		if ua[i] != ub[i] {
			return ua[i] < ub[i]
		}
	}
	return false
}

// cfbLayout is where buildCFB put things, for tests that break them.
type cfbLayout struct {
	fatSectors []uint32
	dirStart   uint32
	streams    map[string]uint32 // first sector (or mini sector) of each stream
}

func buildCFB(specs ...cfbSpec) []byte {
	b, _ := buildCFBLayout(specs...)
	return b
}

func buildCFBLayout(specs ...cfbSpec) ([]byte, cfbLayout) {
	const ss = 512
	specs = append([]cfbSpec(nil), specs...)
	sort.SliceStable(specs, func(i, j int) bool { return cfbLess(specs[i].name, specs[j].name) })
	sectors := func(n int, unit int) int { return (n + unit - 1) / unit }

	// Mini stream.
	var mini []byte
	miniStart := make([]int, len(specs))
	var miniFat []uint32
	for i, s := range specs {
		if s.storage || len(s.data) >= cfbMiniCutoff || len(s.data) == 0 {
			miniStart[i] = -1
			continue
		}
		miniStart[i] = len(mini) / cfbMiniSector
		n := sectors(len(s.data), cfbMiniSector)
		for k := 0; k < n; k++ {
			next := uint32(miniStart[i] + k + 1)
			if k == n-1 {
				next = cfbEndOfChain
			}
			miniFat = append(miniFat, next)
		}
		mini = append(mini, s.data...)
		mini = append(mini, make([]byte, n*cfbMiniSector-len(s.data))...)
	}
	nDir := sectors((1+len(specs))*cfbDirEntryLen, ss)
	nMiniFat := sectors(len(miniFat)*4, ss)
	nMini := sectors(len(mini), ss)
	nLarge := 0
	for _, s := range specs {
		if !s.storage && len(s.data) >= cfbMiniCutoff {
			nLarge += sectors(len(s.data), ss)
		}
	}
	other := nDir + nMiniFat + nMini + nLarge
	nFat := 1
	for nFat*(ss/4) < nFat+other {
		nFat++
	}
	total := nFat + other
	fat := make([]uint32, nFat*(ss/4))
	for i := range fat {
		fat[i] = cfbFreeSect
	}
	lay := cfbLayout{streams: map[string]uint32{}}
	next := uint32(0)
	for i := 0; i < nFat; i++ {
		fat[next] = cfbFatSect
		lay.fatSectors = append(lay.fatSectors, next)
		next++
	}
	chain := func(n int) uint32 {
		if n == 0 {
			return cfbEndOfChain
		}
		start := next
		for k := 0; k < n; k++ {
			if k == n-1 {
				fat[next] = cfbEndOfChain
			} else {
				fat[next] = next + 1
			}
			next++
		}
		return start
	}
	lay.dirStart = chain(nDir)
	miniFatStart := chain(nMiniFat)
	miniStreamStart := chain(nMini)
	largeStart := make([]uint32, len(specs))
	for i, s := range specs {
		largeStart[i] = cfbEndOfChain
		if !s.storage && len(s.data) >= cfbMiniCutoff {
			largeStart[i] = chain(sectors(len(s.data), ss))
		}
	}
	if int(next) != total {
		panic("buildCFB: layout mismatch")
	}

	out := make([]byte, ss*(1+total))
	le := binary.LittleEndian
	h := out[:ss]
	copy(h, magicCFB)
	le.PutUint16(h[24:], 0x3E)
	le.PutUint16(h[26:], 3)
	le.PutUint16(h[28:], 0xFFFE)
	le.PutUint16(h[30:], 9)
	le.PutUint16(h[32:], 6)
	le.PutUint32(h[44:], uint32(nFat))
	le.PutUint32(h[48:], lay.dirStart)
	le.PutUint32(h[56:], cfbMiniCutoff)
	le.PutUint32(h[60:], miniFatStart)
	le.PutUint32(h[64:], uint32(nMiniFat))
	le.PutUint32(h[68:], cfbEndOfChain)
	for i := 0; i < 109; i++ {
		v := uint32(cfbFreeSect)
		if i < nFat {
			v = lay.fatSectors[i]
		}
		le.PutUint32(h[76+4*i:], v)
	}
	sec := func(n uint32) []byte { return out[ss*(int(n)+1) : ss*(int(n)+2)] }
	for i, v := range fat {
		le.PutUint32(sec(lay.fatSectors[i/(ss/4)])[4*(i%(ss/4)):], v)
	}
	put := func(start uint32, data []byte) {
		for n := start; len(data) > 0; n++ {
			k := copy(sec(n), data)
			data = data[k:]
		}
	}
	mf := make([]byte, nMiniFat*ss)
	for i := range mf {
		mf[i] = 0xFF
	}
	for i, v := range miniFat {
		le.PutUint32(mf[4*i:], v)
	}
	put(miniFatStart, mf)
	put(miniStreamStart, mini)
	for i, s := range specs {
		if largeStart[i] != cfbEndOfChain {
			put(largeStart[i], s.data)
		}
	}

	dir := make([]byte, nDir*ss)
	entry := func(id int, name string, typ byte, child, right, start uint32, size int) {
		e := dir[id*cfbDirEntryLen : (id+1)*cfbDirEntryLen]
		u := utf16.Encode([]rune(name))
		for i, c := range u {
			le.PutUint16(e[2*i:], c)
		}
		le.PutUint16(e[64:], uint16(2*len(u)+2))
		e[66], e[67] = typ, 1 // black
		le.PutUint32(e[68:], cfbNoStream)
		le.PutUint32(e[72:], right)
		le.PutUint32(e[76:], child)
		le.PutUint32(e[116:], start)
		le.PutUint64(e[120:], uint64(size))
	}
	for id := 0; id < nDir*ss/cfbDirEntryLen; id++ { // unused entries
		e := dir[id*cfbDirEntryLen:]
		le.PutUint32(e[68:], cfbNoStream)
		le.PutUint32(e[72:], cfbNoStream)
		le.PutUint32(e[76:], cfbNoStream)
	}
	rootChild := uint32(cfbNoStream)
	if len(specs) > 0 {
		rootChild = 1
	}
	entry(0, "Root Entry", cfbTypeRoot, rootChild, cfbNoStream, miniStreamStart, len(mini))
	for i, s := range specs {
		right := uint32(cfbNoStream)
		if i+1 < len(specs) {
			right = uint32(i + 2)
		}
		switch {
		case s.storage:
			entry(i+1, s.name, cfbTypeStorage, cfbNoStream, right, 0, 0)
		case miniStart[i] >= 0:
			entry(i+1, s.name, cfbTypeStream, cfbNoStream, right, uint32(miniStart[i]), len(s.data))
			lay.streams[s.name] = uint32(miniStart[i])
		default:
			entry(i+1, s.name, cfbTypeStream, cfbNoStream, right, largeStart[i], len(s.data))
			lay.streams[s.name] = largeStart[i]
		}
	}
	put(lay.dirStart, dir)
	return out, lay
}

func openCFBBytes(b []byte, lim Limits) (*cfbFile, error) {
	lim = lim.withDefaults()
	s := &scanner{lim: lim, left: lim.MaxBytes}
	return s.openCFB(bytes.NewReader(b), int64(len(b)))
}

func TestCFBRoundTrip(t *testing.T) {
	small := []byte("a small stream in the mini stream")
	large := bytes.Repeat([]byte("0123456789abcdef"), 700) // 11200 bytes: regular sectors
	edge := bytes.Repeat([]byte{7}, cfbMiniCutoff)         // exactly the cutoff: regular
	b := buildCFB(cfbStreamOf("Small", small), cfbStreamOf("Large", large), cfbStreamOf("Edge", edge),
		cfbStreamOf("Empty", nil), cfbSpec{name: "Storage", storage: true})
	c, err := openCFBBytes(b, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"small": small, "LARGE": large, "Edge": edge, "Empty": nil} {
		e := c.lookup(name)
		if e == nil {
			t.Fatalf("%s not found", name)
		}
		got, err := c.stream(e, e.size)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes, want %d", name, len(got), len(want))
		}
	}
	if e := c.lookup("Storage"); e == nil || e.typ != cfbTypeStorage {
		t.Error("storage entry not listed")
	}
	if c.lookup("Missing") != nil {
		t.Error("found a missing stream")
	}
}

// Real compound files from LibreOffice and officecrypto-tool: every root
// stream reads to its declared size.
func TestCFBFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "office-*"))
	n := 0
	for _, p := range files {
		b, _ := os.ReadFile(p)
		if Identify(b) != FormatCFB {
			continue
		}
		n++
		c, err := openCFBBytes(b, Limits{})
		if err != nil {
			t.Errorf("%s: %v", p, err)
			continue
		}
		for _, e := range c.root {
			if e.typ != cfbTypeStream {
				continue
			}
			if _, err := c.stream(e, e.size); err != nil {
				t.Errorf("%s: %s: %v", p, e.name, err)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d CFB fixtures", n)
	}
}

func TestCFBHostile(t *testing.T) {
	le := binary.LittleEndian
	base, lay := buildCFBLayout(cfbStreamOf("WordDocument", bytes.Repeat([]byte{1}, 5000)), cfbStreamOf("1Table", []byte("table")))
	mod := func(f func(b []byte)) []byte {
		b := append([]byte(nil), base...)
		f(b)
		return b
	}
	fatEntry := func(b []byte, sn uint32) []byte {
		off := 512 * (int(lay.fatSectors[sn/128]) + 1)
		return b[off+4*int(sn%128):]
	}
	dirEntry := func(b []byte, id int) []byte {
		return b[512*(int(lay.dirStart)+1)+id*cfbDirEntryLen:]
	}
	tests := []struct {
		name string
		b    []byte
		want string
	}{
		{"truncated header", base[:300], "CFB file is truncated"},
		{"bad signature", mod(func(b []byte) { b[0] = 0 }), "CFB signature is missing"},
		{"bad sector shift", mod(func(b []byte) { le.PutUint16(b[30:], 16) }), "CFB header is corrupt"},
		{"bad byte order", mod(func(b []byte) { le.PutUint16(b[28:], 0xFEFF) }), "CFB header is corrupt"},
		{"huge FAT count", mod(func(b []byte) { le.PutUint32(b[44:], 0xFFFFFFF0) }), "CFB header is corrupt"},
		{"huge mini FAT count", mod(func(b []byte) { le.PutUint32(b[64:], 0xFFFFFFF0) }), "CFB header is corrupt"},
		{"huge DIFAT count", mod(func(b []byte) { le.PutUint32(b[72:], 0xFFFFFFF0) }), "CFB header is corrupt"},
		{"DIFAT chain out of the file", mod(func(b []byte) {
			le.PutUint32(b[44:], 110) // more FAT sectors than the header lists
			le.PutUint32(b[72:], 1)
			le.PutUint32(b[68:], 0x00FFFFFF)
		}), "CFB header is corrupt"},
		{"FAT sector outside the file", mod(func(b []byte) { le.PutUint32(b[76:], 9999) }), "outside the file"},
		{"directory chain loops", mod(func(b []byte) { le.PutUint32(fatEntry(b, lay.dirStart), lay.dirStart) }), "CFB directory is corrupt: chain has a cycle"},
		{"directory start outside", mod(func(b []byte) { le.PutUint32(b[48:], 0x7FFFFFFF) }), "CFB directory is corrupt"},
		{"stream chain loops", mod(func(b []byte) {
			s := lay.streams["WordDocument"]
			le.PutUint32(fatEntry(b, s+1), s)
		}), `stream "WordDocument" is corrupt`},
		// mscfb v1.0.9 reads the file header as this sector.
		{"stream chain runs into FREESECT", mod(func(b []byte) {
			le.PutUint32(fatEntry(b, lay.streams["WordDocument"]+8), cfbFreeSect)
		}), "chain points at sector 0xffffffff, outside the file"},
		{"stream chain ends early", mod(func(b []byte) {
			le.PutUint32(fatEntry(b, lay.streams["WordDocument"]), cfbEndOfChain)
		}), "chain ends after 1 of 10 sectors"},
		{"stream larger than the file", mod(func(b []byte) {
			le.PutUint64(dirEntry(b, 2)[120:], 1<<31) // version 3: the high half is ignored
		}), "CFB directory is corrupt"},
		{"tree loops", mod(func(b []byte) { le.PutUint32(dirEntry(b, 2)[72:], 1) }), "reached twice"},
		{"tree points at nothing", mod(func(b []byte) { le.PutUint32(dirEntry(b, 2)[72:], 500) }), "does not exist"},
		{"tree points at a free entry", mod(func(b []byte) { le.PutUint32(dirEntry(b, 2)[72:], 3) }), "type 0"},
		{"duplicate name", mod(func(b []byte) {
			copy(dirEntry(b, 1)[:64], dirEntry(b, 2)[:64])
			copy(dirEntry(b, 1)[64:66], dirEntry(b, 2)[64:66])
		}), "twice"},
		{"bad name length", mod(func(b []byte) { le.PutUint16(dirEntry(b, 1)[64:], 65) }), "name of 65 bytes"},
		{"bad entry type", mod(func(b []byte) { dirEntry(b, 1)[66] = 9 }), "has type 9"},
		{"root is not first", mod(func(b []byte) { dirEntry(b, 0)[66] = cfbTypeStorage }), "first entry is not the root"},
		{"mini stream chain broken", mod(func(b []byte) { le.PutUint32(dirEntry(b, 0)[116:], 0x00FFFFFF) }), "mini stream is corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := openCFBBytes(tt.b, Limits{})
			if err == nil {
				// Some damage only shows when the stream is read.
				for _, e := range c.root {
					if e.typ == cfbTypeStream {
						if _, err = c.stream(e, e.size); err != nil {
							break
						}
					}
				}
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			// Inspect fails closed with the same reason.
			res := inspectBytes(tt.b, Limits{})
			if res.Protected || (res.Unscannable == "" && res.Format == FormatCFB) {
				t.Errorf("Inspect = %+v, want unscannable", res)
			}
		})
	}
}

func TestCFBLimits(t *testing.T) {
	b := buildCFB(cfbStreamOf("WordDocument", bytes.Repeat([]byte{1}, 50000)))
	if _, err := openCFBBytes(b, Limits{MaxBytes: 1024}); !errors.Is(err, errCFBBudget) {
		t.Errorf("err = %v, want the budget error", err)
	}
	res := inspectBytes(b, Limits{MaxBytes: 1024})
	if !strings.Contains(res.Unscannable, "CFB exceeds the 1024-byte limit") {
		t.Errorf("Unscannable = %q", res.Unscannable)
	}
	var specs []cfbSpec
	for i := 0; i < 40; i++ {
		specs = append(specs, cfbStreamOf(strings.Repeat("s", i+1), []byte{1}))
	}
	if _, err := openCFBBytes(buildCFB(specs...), Limits{MaxEntries: 10}); err == nil || !strings.Contains(err.Error(), "more than 10") {
		t.Errorf("err = %v, want an entry limit", err)
	}
}

// FuzzCFB feeds mutated compound files to Inspect and the Office
// password checker. Seeds: the Office fixtures and synthetic files.
// Run: go test -run "^$" -fuzz FuzzCFB -fuzztime 30s -fuzzminimizetime 100x ./policy/encryption/
// (the seeds are a few KB: minimizing a new input by time would take the
// whole run).
func FuzzCFB(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "office-*"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && Identify(b) == FormatCFB {
			// One spin instead of 100000: the same parsing, without
			// 50 ms of SHA-512 per execution.
			f.Add(bytes.ReplaceAll(b, []byte(`spinCount="100000"`), []byte(`spinCount="000001"`)))
		}
	}
	for _, b := range syntheticOffice(f) {
		f.Add(b)
	}
	// Mutated spin counts would cost up to a second of SHA-512 each.
	defer func(n int) { maxInspectSpin = n }(maxInspectSpin)
	maxInspectSpin = 1000
	lim := Limits{MaxEntries: 256, MaxBytes: 1 << 20}
	f.Fuzz(func(t *testing.T, b []byte) {
		res := inspectBytes(b, lim)
		if strings.HasPrefix(res.Unscannable, "internal error") {
			t.Fatalf("Inspect recovered from a panic: %s", res.Unscannable)
		}
		if res.Protected && res.Unscannable != "" {
			t.Fatalf("protected and unscannable: %+v", res)
		}
		c, err := NewOfficePasswordChecker(bytes.NewReader(b), int64(len(b)), lim)
		if err != nil {
			if strings.Contains(err.Error(), "internal error") {
				t.Fatal(err)
			}
			return
		}
		if sp, ok := c.v.(interface{ spins() int }); ok && sp.spins() > 1000 {
			return // Standard's 50000 rounds of SHA-1, or a mutated spin count
		}
		if _, err := c.Check("secret123"); err != nil {
			t.Fatal(err)
		}
	})
}
