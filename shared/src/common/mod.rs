//! Pure helpers the capabilities share: amounts in rupees (`rupees`), India Standard Time days
//! (`ist`) and spreadsheet row numbers (`sheet_rows`). They import nothing of ours.
pub mod ist;
pub mod rupees;
pub mod sheet_rows;
