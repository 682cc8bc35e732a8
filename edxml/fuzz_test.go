package edxml

import (
	"bytes"
	"errors"
	"testing"

	"github.com/hcm-edu/vanban/signing/signingtest"
)

// FuzzParse feeds Parse and ParseStatus arbitrary bytes, seeded with
// signed messages: they must never panic, and must fail with one of the
// documented errors.
func FuzzParse(f *testing.F) {
	pki := signingtest.NewPKI(f)
	p := samplePackage(f)
	p.Attachments[0].Data = []byte("%PDF-1.4\n%small\n") // keep inputs small for the fuzzer
	pkg, err := Build(p, key(pki))
	if err != nil {
		f.Fatal(err)
	}
	st, err := BuildStatus(sampleStatus(), key(pki))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(pkg)
	f.Add(st)
	f.Add(signatureRE.ReplaceAll(pkg, nil))
	f.Add(bytes.Replace(pkg, []byte("Phù Đổng"), []byte("Phu Dong"), 1))
	f.Add([]byte(`<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>`))
	f.Add([]byte(`<edXML xmlns="http://www.mic.gov.vn/TBT/QCVN_102_2016"><Signature xmlns="http://www.w3.org/2000/09/xmldsig#"/></edXML>`))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		opts := ParseOptions{MaxBytes: 1 << 20}
		_, err := Parse(data, opts)
		checkErr(t, err)
		_, err = ParseStatus(data, opts)
		checkErr(t, err)
	})
}

func checkErr(t *testing.T, err error) {
	var fe *FormatError
	if err == nil || errors.Is(err, ErrNoSignature) || errors.Is(err, ErrBadSignature) || errors.Is(err, ErrTooLarge) || errors.As(err, &fe) {
		return
	}
	t.Fatalf("undocumented error: %v", err)
}
