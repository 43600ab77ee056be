package domain

import "testing"

func TestDecodeUpcastsOlderSchemaVersions(t *testing.T) {
	// A hypothetical schema 2 of UserRegistered named the field "cf".
	upcasters[TypeUserRegistered] = map[int]Upcaster{2: func(raw []byte) (Event, error) {
		return UserRegistered{UserCF: string(raw[7 : len(raw)-2])}, nil
	}}
	defer delete(upcasters, TypeUserRegistered)
	got, err := Decode(TypeUserRegistered, 2, []byte(`{"cf":"RSSMRA85T10A562S"}`))
	if err != nil || got != (UserRegistered{UserCF: "RSSMRA85T10A562S"}) {
		t.Fatalf("upcast %v %v", got, err)
	}
}
