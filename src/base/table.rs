//! Rule tables indexed by an enum: row `n` describes the variant whose discriminant is `n`, so a
//! lookup is an index. [`assert_rows_in_enum_order`] checks that when the crate compiles.

/// Asserts at compile time that row `n` of the table `$table` (a const slice) has
/// `$column as usize == n`, naming the table in the error.
macro_rules! assert_rows_in_enum_order {
    ($table:ident, $column:ident) => {
        const _: () = {
            let mut at = 0;
            while at < $table.len() {
                assert!(
                    $table[at].$column as usize == at,
                    concat!(stringify!($table), " is not in the order of its enum")
                );
                at += 1;
            }
        };
    };
}

pub(crate) use assert_rows_in_enum_order;
