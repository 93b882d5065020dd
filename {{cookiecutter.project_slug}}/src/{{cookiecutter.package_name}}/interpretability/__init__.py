"""Why the model predicts what it does: SHAP and permutation importance for tables, Captum for images."""
