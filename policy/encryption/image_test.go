package encryption

import (
	"bytes"
	"image/gif"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// reencode decodes the PNG fixture and encodes it again as format.
func reencode(t *testing.T, format string) []byte {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(fixture(t, "photo.png")))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	switch format {
	case "jpeg":
		err = jpeg.Encode(&b, img, nil)
	case "gif":
		err = gif.Encode(&b, img, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestIsPlainImage(t *testing.T) {
	pngData := fixture(t, "photo.png")
	jpegData := reencode(t, "jpeg")
	zipData := plainZip(t)
	webp := []byte("RIFF\x0e\x00\x00\x00WEBPVP8 \x02\x00\x00\x00ab")
	bmp := append([]byte("BM\x14\x00\x00\x00"), make([]byte, 14)...)
	for _, c := range []struct {
		name string
		data []byte
		want bool
	}{
		{"PNG", pngData, true},
		{"JPEG", jpegData, true},
		{"GIF", reencode(t, "gif"), true},
		{"PNG with a ZIP appended", append(append([]byte(nil), pngData...), zipData...), false},
		{"JPEG with a ZIP appended", append(append([]byte(nil), jpegData...), zipData...), false},
		{"truncated PNG", pngData[:len(pngData)-20], false},
		{"ZIP", zipData, false},
		{"SVG", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><text>x</text></svg>`), false},
		{"WebP", webp, true},
		{"WebP with a tail", append(append([]byte(nil), webp...), "PK\x03\x04"...), false},
		{"BMP", bmp, true},
		{"BMP with a tail", append(append([]byte(nil), bmp...), 'x'), false},
		{"text", []byte(strings.Repeat("a", 40)), false},
	} {
		if got := IsPlainImage(bytes.NewReader(c.data), int64(len(c.data))); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
