package division

import "testing"

func TestZhenxiongTree(t *testing.T) {
	tab := MustBuiltin()
	d, ok := tab.Get(Zhenxiong)
	if !ok || d.Name != "镇雄县" || d.Level != County {
		t.Fatalf("Zhenxiong: %+v %v", d, ok)
	}
	if n := len(tab.Children(Zhenxiong)); n != 30 {
		t.Fatalf("townships = %d, want 30", n)
	}
	if n := len(tab.Villages(Zhenxiong)); n != 262 {
		t.Fatalf("villages = %d, want 262", n)
	}
	v := tab.Villages(Zhenxiong)[0]
	if len(v.Code) != 12 || len(tab.Path(v.Code)) != 5 {
		t.Fatalf("village path: %+v", tab.Path(v.Code))
	}
	if _, ok := tab.Get("110101"); !ok {
		t.Fatal("national counties not loaded")
	}
}
