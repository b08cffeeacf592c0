package encryption

// Decoding a 7z folder: the coder chain (Copy, LZMA, LZMA2, Deflate, BZip2,
// 7zAES) from a packed stream to the folder's output, with dictionaries
// clamped and reads bounded.

import (
	"bytes"
	"compress/bzip2"
	"compress/flate"
	"crypto/aes"
	"crypto/cipher"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/ulikunitz/xz/lzma"
)

// folderReader returns the decoded output of folder fi of st: of its first
// n coders (all when n < 0) on the path up from packed stream k. Decoding
// all of them must reach the folder's output. The coders must be Copy,
// LZMA, LZMA2, Deflate, BZip2 and (with key) 7zAES. An LZMA dictionary is
// clamped to the declared output size; for the last coder also to
// readMax, the most the caller will read, when that is at most szMaxDict
// (a decoder never looks further back than it has written); a dictionary
// still over szMaxDict is refused.
func (st *szStreams) folderReader(r io.ReaderAt, fi, k int, key []byte, n int, readMax int64) (io.Reader, error) {
	f := &st.folders[fi]
	order, full := f.path(k)
	switch {
	case n < 0 && !full:
		return nil, fmt.Errorf("coders %s are not decoded", f.methods())
	case n > len(order):
		return nil, errors.New("coder path too short")
	case n >= 0:
		order = order[:n]
	}
	p := f.packIndex + k
	var rd io.Reader = io.NewSectionReader(r, st.packOffset(p), int64(st.packSizes[p]))
	for i, ci := range order {
		dictCap, clamp := int64(szMaxDict), false
		if i == len(order)-1 && readMax <= szMaxDict {
			dictCap, clamp = max(readMax, lzma.MinDictCap), true
		}
		var err error
		out := f.unpack[f.firstStream(ci, false)]
		if rd, err = szCoderReader(rd, f.coders[ci], out, key, dictCap, clamp); err != nil {
			return nil, err
		}
	}
	return rd, nil
}

// szCoderReader decodes one coder whose output is outSize bytes. LZMA
// dictionaries over dictCap are clamped to it when clamp is set (the
// caller reads no more than dictCap bytes), refused otherwise.
func szCoderReader(rd io.Reader, c szCoder, outSize uint64, key []byte, dictCap int64, clamp bool) (io.Reader, error) {
	switch c.id {
	case szCopy:
	case szLZMA:
		if len(c.props) != 5 || !lzmaPropsOK(c.props[0], false) {
			return nil, errors.New("invalid LZMA properties")
		}
		dict, err := clampDict(uint64(binary.LittleEndian.Uint32(c.props[1:])), outSize, dictCap, clamp)
		if err != nil {
			return nil, err
		}
		h := make([]byte, 13)
		h[0] = c.props[0]
		binary.LittleEndian.PutUint32(h[1:], uint32(dict))
		binary.LittleEndian.PutUint64(h[5:], outSize)
		lr, err := lzma.ReaderConfig{DictCap: int(dict)}.NewReader(io.MultiReader(bytes.NewReader(h), rd))
		if err != nil {
			return nil, fmt.Errorf("LZMA: %v", err)
		}
		rd = lr
	case szLZMA2:
		if len(c.props) != 1 || c.props[0] > 40 {
			return nil, errors.New("invalid LZMA2 properties")
		}
		d := uint64(0xFFFFFFFF)
		if p := c.props[0]; p < 40 {
			d = uint64(2|p&1) << (p/2 + 11)
		}
		dict, err := clampDict(d, outSize, dictCap, clamp)
		if err != nil {
			return nil, err
		}
		lr, err := lzma.Reader2Config{DictCap: int(dict)}.NewReader2(rd)
		if err != nil {
			return nil, fmt.Errorf("LZMA2: %v", err)
		}
		rd = lr
	case szDeflate:
		rd = flate.NewReader(rd)
	case szBZip2:
		rd = bzip2.NewReader(rd)
	case szAES:
		if key == nil {
			return nil, errors.New("encrypted")
		}
		_, _, iv, err := parse7zAESProps(c.props)
		if err != nil {
			return nil, err
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, err
		}
		rd = &cbcReader{src: rd, mode: cipher.NewCBCDecrypter(block, iv)}
	default:
		return nil, fmt.Errorf("coder %s is not decoded", szCoderName(c.id))
	}
	return &exactReader{r: rd, n: int64(outSize)}, nil
}

// clampDict bounds an LZMA dictionary by the output size and by limit.
func clampDict(dict, outSize uint64, limit int64, clamp bool) (int64, error) {
	d := min(dict, outSize)
	if d > uint64(limit) {
		if !clamp {
			return 0, fmt.Errorf("an LZMA dictionary of %d bytes exceeds the limit", d)
		}
		d = uint64(limit)
	}
	return int64(max(d, lzma.MinDictCap)), nil
}

// exactReader yields exactly n bytes of r: fewer is an error.
type exactReader struct {
	r io.Reader
	n int64
}

func (e *exactReader) Read(p []byte) (int, error) {
	if e.n <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > e.n {
		p = p[:e.n]
	}
	n, err := e.r.Read(p)
	e.n -= int64(n)
	if err == io.EOF && e.n > 0 {
		err = io.ErrUnexpectedEOF
	}
	if e.n == 0 && err == nil {
		err = io.EOF
	}
	return n, err
}

// cbcReader decrypts AES-CBC blocks from src.
type cbcReader struct {
	src  io.Reader
	mode cipher.BlockMode
	buf  [32 << 10]byte
	out  []byte
	err  error
}

func (c *cbcReader) Read(p []byte) (int, error) {
	for len(c.out) == 0 {
		if c.err != nil {
			return 0, c.err
		}
		n, err := io.ReadFull(c.src, c.buf[:])
		if err == io.ErrUnexpectedEOF {
			err = io.EOF
		}
		if n%aes.BlockSize != 0 {
			n -= n % aes.BlockSize
			err = errors.New("AES stream length is not a multiple of 16")
		}
		c.mode.CryptBlocks(c.buf[:n], c.buf[:n])
		c.out, c.err = c.buf[:n], err
	}
	n := copy(p, c.out)
	c.out = c.out[n:]
	return n, nil
}

// parse7zAESProps reads 7zAES coder properties: NumCyclesPower, salt and
// IV sizes in two bytes, then salt and IV (7-Zip's 7zAes.cpp).
func parse7zAESProps(p []byte) (cycles int, salt, iv []byte, err error) {
	if len(p) == 0 {
		return 0, nil, nil, errors.New("7zAES properties are missing")
	}
	cycles = int(p[0] & 0x3F)
	iv = make([]byte, aes.BlockSize)
	if p[0]&0xC0 == 0 {
		if len(p) != 1 {
			return 0, nil, nil, errors.New("7zAES properties have the wrong length")
		}
		return cycles, nil, iv, nil
	}
	if len(p) < 2 {
		return 0, nil, nil, errors.New("7zAES properties are truncated")
	}
	saltLen := int(p[0]>>7&1) + int(p[1]>>4)
	ivLen := int(p[0]>>6&1) + int(p[1]&0x0F)
	if len(p) != 2+saltLen+ivLen {
		return 0, nil, nil, errors.New("7zAES properties have the wrong length")
	}
	salt = p[2 : 2+saltLen]
	copy(iv, p[2+saltLen:])
	return cycles, salt, iv, nil
}
