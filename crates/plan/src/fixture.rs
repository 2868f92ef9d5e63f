//! Fixture builder: writes workbooks in the template's layout so tests and the
//! demo can make any case. (Being implemented: issue 2.)
