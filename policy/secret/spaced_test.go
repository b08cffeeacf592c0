package secret

import (
	"slices"
	"testing"
)

func TestSpacedValues(t *testing.T) {
	f, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, text string
		want       string
		labelled   bool
	}{
		{"spaces", "資料を送ります。A b 3 d 9 x Q でお願いします。", "Ab3d9xQ", false},
		{"hyphens", "key A-b-3-d-9-x-Q", "Ab3d9xQ", false},
		{"full-width slashes", "Ａ／ｂ／３／ｄ／９", "Ab3d9", false},
		{"full-width spaces", "パスワード：Ａ　ｂ　３　ｄ　９　ｘ", "Ab3d9x", true},
		{"label before", "パスワード: A b 3 d 9 x Q", "Ab3d9xQ", true},
		{"English label", "Password is X k 7 # m Q 2 p", "Xk7#mQ2p", true},
		{"one per line", "パスワードは以下です\nX\nk\n7\n#\nm\nQ\n", "Xk7#mQ", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := f.Find([]Text{{Path: "1", Kind: "plain", Content: c.text}})
			i := slices.IndexFunc(r.Candidates, func(x Candidate) bool { return x.Value == c.want })
			if i < 0 {
				var got []string
				for _, x := range r.Candidates {
					got = append(got, x.Value)
				}
				t.Fatalf("no candidate %q in %q", c.want, got)
			}
			if cand := r.Candidates[i]; !cand.Spaced || c.labelled && !cand.Labelled {
				t.Errorf("candidate %+v: want spaced, labelled %v", cand, c.labelled)
			}
		})
	}
	// Ordinary prose yields no joined value.
	for _, text := range []string{
		"I am a member of the team and a b test.",
		"お世話になっております。添付の資料をご確認ください。",
		"1. 資料 2. 見積 3. 請求",
		"a-b test, x/y",
	} {
		r := f.Find([]Text{{Path: "1", Kind: "plain", Content: text}})
		for _, x := range r.Candidates {
			if x.Spaced {
				t.Errorf("%q: spaced candidate %q", text, x.Value)
			}
		}
	}
}
