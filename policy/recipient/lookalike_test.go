package recipient

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/publicsuffix"
)

func TestSkeleton(t *testing.T) {
	same := [][2]string{
		{"example", "examp1e"},  // 1 / l
		{"example", "exarnple"}, // rn / m
		{"tokyo", "t0ky0"},      // 0 / o
		{"willow", "vvillow"},   // vv / w
		{"daiichi", "claiichi"}, // cl / d
		{"paypal", "раураl"},    // Cyrillic р а у
		{"kaisha", "kaιsha"},    // Greek ι
		{"kaisha", "kaіsha"},    // Cyrillic і
		{"apple", "аррlе"},      // Cyrillic а р р е
		{"willow", "wíllow"},    // diacritic
		{"example", "ＥＸＡＭＰＬＥ"},  // fullwidth
		{"ops", "οрѕ"},          // Greek ο, Cyrillic р ѕ
	}
	for _, p := range same {
		if a, b := skeleton(p[0]), skeleton(p[1]); a != b {
			t.Errorf("skeleton(%q) = %q, skeleton(%q) = %q", p[0], a, p[1], b)
		}
	}
	different := [][2]string{
		{"abc", "abd"}, {"sony", "song"}, {"例え", "例"},
		{"sakura", "ѕакura"}, // Cyrillic к is not a TR39 confusable of k
		{"apple", "аррӏе"},   // TR39 (2019) maps palochka to i, not l
	}
	for _, p := range different {
		if skeleton(p[0]) == skeleton(p[1]) {
			t.Errorf("skeleton(%q) == skeleton(%q)", p[0], p[1])
		}
	}
}

func TestOSA(t *testing.T) {
	cases := []struct {
		a, b string
		d    int
	}{
		{"", "", 0}, {"abc", "", 3}, {"", "ab", 2},
		{"example", "example", 0},
		{"example", "exmaple", 1}, // swap
		{"example", "exxample", 1},
		{"example", "exampe", 1},
		{"example", "exbmple", 1},
		{"ca", "abc", 3}, // OSA, not unrestricted Damerau-Levenshtein (2)
		{"kitten", "sitting", 3},
		{"例え", "例えば", 1},
	}
	for _, tc := range cases {
		if got := osa(tc.a, tc.b); got != tc.d {
			t.Errorf("osa(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.d)
		}
		if got := osa(tc.b, tc.a); got != tc.d {
			t.Errorf("osa(%q, %q) = %d, want %d", tc.b, tc.a, got, tc.d)
		}
	}
}

func TestEditKind(t *testing.T) {
	cases := []struct {
		a, b string
		k    LookalikeKind
	}{
		{"kiasha", "kaisha", LookSwapped},
		{"kaissha", "kaisha", LookDoubled},
		{"kaisha", "kaissha", LookDoubled},
		{"kaishaa", "kaisha", LookDoubled},
		{"kaishax", "kaisha", LookTypo},
		{"kaisya", "kaisha", LookTypo},
	}
	for _, tc := range cases {
		if got := editKind(tc.a, tc.b); got != tc.k {
			t.Errorf("editKind(%q, %q) = %q, want %q", tc.a, tc.b, got, tc.k)
		}
	}
}

// bruteNearest is nearest without the index: the reference for the tests.
func bruteNearest(ix *lookIndex, sk, suffix, sub string) (best, bestDist int) {
	best = -1
	for i := range ix.entries {
		e := &ix.entries[i]
		d := osa(sk, e.skel)
		if d > e.max {
			continue
		}
		if best < 0 || d < bestDist || (d == bestDist && better(e, &ix.entries[best], suffix, sub)) {
			best, bestDist = i, d
		}
	}
	return best, bestDist
}

func randomLabel(r *rand.Rand, min, max int) string {
	const letters = "abcdeghikmnorstuwy-"
	n := min + r.IntN(max-min+1)
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[r.IntN(len(letters)-1)] // no hyphen
		if i > 0 && i < n-1 && r.IntN(12) == 0 {
			b[i] = '-'
		}
	}
	return string(b)
}

var testSuffixes = []string{"com", "co.jp", "ne.jp", "or.jp", "jp", "net", "lg.jp", "ac.jp", "org"}

func randomDomains(r *rand.Rand, n int) []string {
	out := make([]string, 0, n)
	for len(out) < n {
		out = append(out, randomLabel(r, 3, 14)+"."+testSuffixes[r.IntN(len(testSuffixes))])
	}
	return out
}

// mutate makes a near miss of d: a typo, a confusable or another suffix.
func mutate(r *rand.Rand, d string) string {
	reg, _ := publicsuffix.EffectiveTLDPlusOne(d)
	label, suffix, _ := strings.Cut(reg, ".")
	b := []byte(label)
	switch r.IntN(5) {
	case 0:
		if len(b) > 1 {
			i := r.IntN(len(b) - 1)
			b[i], b[i+1] = b[i+1], b[i]
		}
	case 1:
		i := r.IntN(len(b))
		b = append(b[:i+1], b[i:]...)
	case 2:
		b = []byte(strings.Replace(string(b), "m", "rn", 1))
		b = []byte(strings.Replace(string(b), "o", "0", 1))
	case 3:
		suffix = testSuffixes[r.IntN(len(testSuffixes))]
	case 4:
		b[r.IntN(len(b))] = 'z'
	}
	return string(b) + "." + suffix
}

func TestNearestMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	ix := newLookIndex(randomDomains(r, 1000))
	n := 1000
	if raceEnabled || testing.Short() {
		n = 200
	}
	for i := 0; i < n; i++ {
		var d string
		if i%2 == 0 {
			d = mutate(r, ix.entries[r.IntN(len(ix.entries))].domain)
		} else {
			d = randomLabel(r, 1, 16) + "." + testSuffixes[r.IntN(len(testSuffixes))]
		}
		checkNearest(t, ix, d)
	}
}

func checkNearest(t *testing.T, ix *lookIndex, d string) {
	t.Helper()
	reg, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return
	}
	label, suffix, _ := strings.Cut(reg, ".")
	sk := skeleton(unicodeLabel(label))
	sub := d[:len(d)-len(reg)]
	gb, gd := ix.nearest(sk, suffix, sub)
	wb, wd := bruteNearest(ix, sk, suffix, sub)
	if gb != wb || gd != wd {
		name := func(i int) string {
			if i < 0 {
				return "none"
			}
			return ix.entries[i].domain
		}
		t.Fatalf("%s: index found %s at %d, brute force %s at %d", d, name(gb), gd, name(wb), wd)
	}
}

// FuzzLookalike checks that the classifier never panics, that the index finds
// exactly what a linear scan finds, and that a lookalike is never an
// internal or verified name.
func FuzzLookalike(f *testing.F) {
	for _, s := range []string{
		"example.co.jp", "exmaple.co.jp", "partner-example.com", "xn--kasha-o2e.ne.jp", "tоkyо-shоji.co.jp",
		"example.co.jp.evil.test", "a", ".", "..", "xn--", "[::1]", "例え.jp", "ｋａｉｓｈａ.ne.jp",
		strings.Repeat("a", 70) + ".com", "a-.b-.c", "*.x", "exa\u0301mple.co.jp",
	} {
		f.Add(s)
	}
	c, err := NewClassifier(testConfig)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || len(s) > 300 {
			return
		}
		d := Normalize(s)
		v := c.ClassifyDomain(d)
		if v.Class == Lookalike {
			if c.internal.Contains(d) || c.verified.Contains(d) {
				t.Fatalf("%q: internal or verified, yet lookalike", d)
			}
			if v.Resembles == "" || v.Kind == "" || !c.look.names[v.Resembles] {
				t.Fatalf("%q: lookalike of %q (%q)", d, v.Resembles, v.Kind)
			}
			if v.Resembles == d {
				t.Fatalf("%q resembles itself", d)
			}
		}
		checkNearest(t, c.look, d)
		if !strings.HasPrefix(d, "[") {
			c.Classify(context.Background(), []string{"x@" + s})
		}
	})
}

// benchDomains are 5,000 verified domains and 50 recipients: 10 verified, 10
// internal, 10 lookalikes, 10 unverified and 10 anonymous.
func benchDomains() (verified, recipients []string) {
	r := rand.New(rand.NewPCG(7, 11))
	verified = randomDomains(r, 5000)
	for i := 0; i < 10; i++ {
		recipients = append(recipients,
			fmt.Sprintf("v%d@%s", i, verified[r.IntN(len(verified))]),
			fmt.Sprintf("i%d@sales.example.co.jp", i),
			fmt.Sprintf("l%d@%s", i, mutate(r, verified[r.IntN(len(verified))])),
			fmt.Sprintf("u%d@%s", i, randomLabel(r, 6, 12)+".example"),
			fmt.Sprintf("a%d@x%d.mailinator.com", i, i))
	}
	return verified, recipients
}

func BenchmarkClassify50Against5000(b *testing.B) {
	verified, recipients := benchDomains()
	c, err := NewClassifier(Config{Internal: []string{"example.co.jp", "*.example.co.jp"}, Verified: verified})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c.Classify(ctx, recipients)
	}
}

func BenchmarkNewClassifier5000(b *testing.B) {
	verified, _ := benchDomains()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := NewClassifier(Config{Verified: verified}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIndexSparesLinearScan checks, without a clock, that a look-up computes
// few distances: a linear scan would compute one per verified domain.
func TestIndexSparesLinearScan(t *testing.T) {
	verified, recipients := benchDomains()
	c, err := NewClassifier(Config{Verified: verified})
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, a := range recipients {
		d := Domain(a)
		reg, err := publicsuffix.EffectiveTLDPlusOne(d)
		if err != nil {
			continue
		}
		label, suffix, _ := strings.Cut(reg, ".")
		_, _, n := c.look.nearestCount(skeleton(unicodeLabel(label)), suffix, d[:len(d)-len(reg)])
		total += n
	}
	if total > 10*len(recipients) {
		t.Errorf("%d distances computed for %d recipients against %d domains", total, len(recipients), len(verified))
	}
	t.Logf("%d distances computed for %d recipients against %d domains", total, len(recipients), len(verified))
}

// TestClassify50Against5000IsFast checks the time budget (1 ms for 50
// recipients against 5,000 verified domains). A clock is unreliable on a
// shared machine, so it runs only with SENDGUARD_TIMING_TESTS=1 and takes
// the best of five runs.
func TestClassify50Against5000IsFast(t *testing.T) {
	if os.Getenv("SENDGUARD_TIMING_TESTS") != "1" || raceEnabled {
		t.Skip("set SENDGUARD_TIMING_TESTS=1 (without -race) to run")
	}
	best := int64(math.MaxInt64)
	for range 5 {
		best = min(best, testing.Benchmark(BenchmarkClassify50Against5000).NsPerOp())
	}
	t.Logf("%d ns/op", best)
	if best > 1_000_000 {
		t.Errorf("classifying 50 recipients against 5,000 verified domains takes %d ns, over 1 ms", best)
	}
}
