//! `uniffi-bindgen`, built from the same uniffi version as `libdevtoken.so`.
fn main() {
    uniffi::uniffi_bindgen_main()
}
