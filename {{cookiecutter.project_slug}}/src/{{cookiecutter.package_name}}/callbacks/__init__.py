"""Training-time behaviour that Lightning's own callbacks do not cover as this project needs."""
