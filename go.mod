module github.com/sendguard/sendguard

go 1.26.8

require (
	github.com/emersion/go-message v0.18.2
	github.com/emersion/go-sasl v0.0.0-20241020182733-b788ff22d5a6
	github.com/emersion/go-smtp v0.25.1
	github.com/pelletier/go-toml/v2 v2.4.3
	golang.org/x/crypto v0.59.0
	golang.org/x/net v0.62.0
	golang.org/x/text v0.44.0
)

require (
	github.com/miekg/dns v1.1.73 // indirect
	golang.org/x/sys v0.50.0 // indirect
)

replace github.com/emersion/go-smtp => ./third_party/go-smtp
