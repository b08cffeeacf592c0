package textchart

import (
	"bytes"
	"strings"
	"testing"
)

func TestBar(t *testing.T) {
	for cells, want := range map[float64]string{
		0: "", 1: "█", 0.5: "▌", 2.125: "██▏", 0.01: "▏", 20: strings.Repeat("█", 20), 3.875: "███▉",
	} {
		if got := Bar(cells); got != want {
			t.Errorf("Bar(%v) = %q, want %q", cells, got, want)
		}
	}
	if got := ScaledBar(1, 1000); got != "▏" {
		t.Errorf("smallest bar %q", got)
	}
	if got := ScaledBar(50, 100); got != strings.Repeat("█", 10) {
		t.Errorf("half bar %q", got)
	}
}

func TestDisplayWidthAndTable(t *testing.T) {
	if DisplayWidth("営業部 ab") != 9 {
		t.Errorf("display width %d", DisplayWidth("営業部 ab"))
	}
	var b bytes.Buffer
	MarkdownTable(&b, []string{"部署", "n"}, "lr", [][]string{{"営業部", "12"}, {"other", "3"}})
	want := "| 部署   |   n |\n| ------ | --: |\n| 営業部 |  12 |\n| other  |   3 |\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}
