"""Party dues (党费): the formula, assessment, payments, the monthly bill and arrears."""
