"""folium/HTML builders: GeoDataFrame or Dataset in, map or page out."""
